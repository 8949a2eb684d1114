# firmware-sim: simulated pump stations behind Modbus TCP, with fault injection (docs/firmware-sim.md).
# Built from the repository root: docker build -f docker/firmware-sim.Dockerfile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ src/
COPY firmware-sim/ firmware-sim/
COPY profiles/ profiles/
RUN dotnet publish firmware-sim/Irrigation.FirmwareSim/Irrigation.FirmwareSim.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
USER app
EXPOSE 5020-5024
ENTRYPOINT ["dotnet", "firmware-sim.dll"]
