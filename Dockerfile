# syntax=docker/dockerfile:1
# Multi-stage build. The restore layer depends only on the project files, so it stays cached
# until a package reference changes.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/TheOpenMoney.Api/TheOpenMoney.Api.csproj src/TheOpenMoney.Api/
RUN dotnet restore src/TheOpenMoney.Api/TheOpenMoney.Api.csproj
COPY src/TheOpenMoney.Api/ src/TheOpenMoney.Api/
RUN dotnet publish src/TheOpenMoney.Api/TheOpenMoney.Api.csproj -c Release -o /app --no-restore /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    Logging__Json=true
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "TheOpenMoney.Api.dll"]
