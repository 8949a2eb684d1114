global using Xunit;
global using Irrigation.Testing;
global using Irrigation.Testing.Waiting;
