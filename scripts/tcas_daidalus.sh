#!/bin/sh
# Build NASA DAIDALUS (Java) from a source checkout and run its DaidalusAlerting with its
# TCAS3D configuration on every .daa file of a folder, writing outputs/NAME__TCAS3D.csv there.
#   scripts/tcas_daidalus.sh DAIDALUS_SOURCE_DIR [DIR]   (DIR: tests/data/daidalus_tcas)
# DAIDALUS_SOURCE_DIR holds Java/src and Configurations (e.g. nasa/daidalus at e0439250).
set -eu
src=$1
dir=${2:-tests/data/daidalus_tcas}
build=$(mktemp -d)
find "$src/Java/src" -name '*.java' > "$build/sources.txt"
javac -nowarn -encoding UTF-8 -d "$build" @"$build/sources.txt"
mkdir -p "$dir/outputs"
for f in "$dir"/*.daa; do
  name=$(basename "$f" .daa)
  java -cp "$build" DaidalusAlerting --conf "$src/Configurations/TCAS3D.conf" --prec 6 \
    -o "$dir/outputs/${name}__TCAS3D.csv" "$f"
done
rm -rf "$build"
