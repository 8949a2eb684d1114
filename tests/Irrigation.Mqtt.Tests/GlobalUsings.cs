global using Xunit;
global using Hex = Irrigation.Testing.Hex;
global using LogEntry = Irrigation.Testing.LogEntry;
global using Poll = Irrigation.Testing.Waiting.Poll;
global using Sequences = Irrigation.Testing.Sequences;
global using TestLogger = Irrigation.Testing.TestLogger;
global using MosquittoBroker = Irrigation.Testing.MosquittoBroker;
global using ManagedProcess = Irrigation.Testing.ManagedProcess;
global using FreePort = Irrigation.Testing.FreePort;
