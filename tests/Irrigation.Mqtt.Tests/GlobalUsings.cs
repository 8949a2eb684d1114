global using Xunit;
global using Sequences = Irrigation.Testing.Sequences;
