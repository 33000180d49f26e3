# syntax=docker/dockerfile:1
# Multi-stage build. The restore layer depends only on the project files, so it stays cached
# until a package reference changes. Two final targets: `api` (default) and `simulator`.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/TheOpenMoney.Api/TheOpenMoney.Api.csproj src/TheOpenMoney.Api/
COPY src/TheOpenMoney.Simulators/TheOpenMoney.Simulators.csproj src/TheOpenMoney.Simulators/
RUN dotnet restore src/TheOpenMoney.Api/TheOpenMoney.Api.csproj \
 && dotnet restore src/TheOpenMoney.Simulators/TheOpenMoney.Simulators.csproj
COPY src/ src/
RUN dotnet publish src/TheOpenMoney.Api/TheOpenMoney.Api.csproj -c Release -o /out/api --no-restore /p:UseAppHost=false \
 && dotnet publish src/TheOpenMoney.Simulators/TheOpenMoney.Simulators.csproj -c Release -o /out/simulator --no-restore /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS simulator
WORKDIR /app
COPY --from=build /out/simulator ./
ENV ASPNETCORE_URLS=http://+:8081
EXPOSE 8081
USER $APP_UID
ENTRYPOINT ["dotnet", "TheOpenMoney.Simulators.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS api
WORKDIR /app
COPY --from=build /out/api ./
ENV ASPNETCORE_URLS=http://+:8080 \
    Logging__Json=true
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "TheOpenMoney.Api.dll"]
