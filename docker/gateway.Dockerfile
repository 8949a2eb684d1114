# irrigation-gateway: polls stations through device profiles, publishes MQTT with store-and-forward (docs/gateway.md).
# Built from the repository root: docker build -f docker/gateway.Dockerfile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ src/
COPY profiles/ profiles/
RUN dotnet publish src/Irrigation.Gateway/Irrigation.Gateway.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
# The published output carries profiles/ beside the program, where a relative profilesDirectory falls back to.
COPY --from=build /app ./
# Outbox, command journal and sequence numbers live in /data (a volume); the image's non-root user "app" owns it.
RUN mkdir -p /data && chown app /data
USER app
ENTRYPOINT ["dotnet", "irrigation-gateway.dll"]
CMD ["--config", "/etc/irrigation/gateway.json"]
