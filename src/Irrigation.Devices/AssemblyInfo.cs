namespace Irrigation.Devices;
