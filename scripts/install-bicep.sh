#!/usr/bin/env bash
# Installs the Bicep CLI into .tools/bicep/bicep from the NuGet package
# Azure.Bicep.CommandLine.linux-x64, so the infrastructure checks run offline
# afterwards (no az, no download from GitHub releases).
# Usage: bash scripts/install-bicep.sh [version]   (env BICEP_VERSION works too)
set -euo pipefail

version="${1:-${BICEP_VERSION:-0.49.2}}"
package="Azure.Bicep.CommandLine.linux-x64"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest_dir="$root/.tools/bicep"
dest="$dest_dir/bicep"

fail() {
  echo "install-bicep: ERROR: $*" >&2
  exit 1
}

if [[ "$(uname -s)" != "Linux" || "$(uname -m)" != "x86_64" ]]; then
  fail "this script installs the linux-x64 Bicep CLI; on $(uname -s)/$(uname -m) install Bicep another way (https://aka.ms/bicep-install)"
fi

if [[ -x "$dest" ]] && "$dest" --version 2>/dev/null | grep -q "Bicep CLI version ${version} "; then
  echo "install-bicep: already installed: $("$dest" --version)"
  exit 0
fi

command -v dotnet >/dev/null 2>&1 || fail "dotnet is not on PATH; it is needed to restore the NuGet package $package"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# PackageDownload fetches a package without referencing it, so no real project
# or target framework compatibility is involved.
cat >"$work/restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$package" Version="[$version]" />
  </ItemGroup>
</Project>
CSPROJ

echo "install-bicep: restoring $package $version with dotnet"
if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
  dotnet restore "$work/restore.csproj" --packages "$work/packages" >"$work/restore.log" 2>&1; then
  cat "$work/restore.log" >&2
  fail "dotnet restore of $package $version failed (see the log above)"
fi

# NuGet lowercases the package folder names.
src="$work/packages/${package,,}/$version/tools/bicep"
[[ -f "$src" ]] || fail "the restored package has no tools/bicep (looked for $src)"

mkdir -p "$dest_dir"
cp "$src" "$dest.tmp"
chmod +x "$dest.tmp"
mv -f "$dest.tmp" "$dest"

installed="$("$dest" --version 2>&1)" || fail "$dest does not run: $installed"
echo "install-bicep: installed $dest: $installed"
