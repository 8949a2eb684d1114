global using Xunit;
global using Irrigation.Testing;
