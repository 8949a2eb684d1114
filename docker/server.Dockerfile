# irrigation-server: ingestion, latest state, the operators' API and phone web app, alarms, accounting (docs/server.md).
# Built from the repository root: docker build -f docker/server.Dockerfile .

# The phone web app: npm packages from the lock file, built into src/Irrigation.Server/wwwroot as ./run.sh does.
FROM node:20-bookworm-slim AS web
WORKDIR /src/src/Irrigation.Web
COPY src/Irrigation.Web/package.json src/Irrigation.Web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY src/Irrigation.Web/ ./
RUN npm run build

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ src/
# The acceptance pack carries the Grafana acceptance dashboard, compiled into the server.
COPY grafana/dashboards/acceptance.json grafana/dashboards/
COPY --from=web /src/src/Irrigation.Server/wwwroot src/Irrigation.Server/wwwroot
RUN dotnet publish src/Irrigation.Server/Irrigation.Server.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# Device profiles give the API its Chinese labels and units (Irrigation__ProfilesDirectory).
COPY profiles/ /app/profiles/
# PDF reports embed a CJK TrueType font (AR PL SungtiL GB, Irrigation__Reports__FontFile), as ./run.sh installs it.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-arphic-gbsn00lp && rm -rf /var/lib/apt/lists/*
# The SQLite database, spool and keys live in /data (a volume); the image's non-root user "app" owns it.
RUN mkdir -p /data && chown app /data
USER app
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "irrigation-server.dll"]
