# irrigation-server: MQTT telemetry into InfluxDB, latest state, health and metrics (docs/server.md).
# Built from the repository root: docker build -f docker/server.Dockerfile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ src/
COPY profiles/ profiles/
RUN dotnet publish src/Irrigation.Server/Irrigation.Server.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The spool and other state live in /data (a volume); the image's non-root user "app" owns it.
RUN mkdir -p /data && chown app /data
USER app
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "irrigation-server.dll"]
