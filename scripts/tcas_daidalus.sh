#!/bin/sh
# Build NASA DAIDALUS (Java) from a source checkout and run its DaidalusAlerting with a TCAS3D
# configuration on every .daa file of a folder, writing outputs/NAME__CONF.csv there.
#   scripts/tcas_daidalus.sh DAIDALUS_SOURCE_DIR [DIR] [CONF]
# DIR: tests/data/daidalus_tcas; CONF: DAIDALUS_SOURCE_DIR/Configurations/TCAS3D.conf.
# DAIDALUS_SOURCE_DIR holds Java/src and Configurations (e.g. nasa/daidalus at e0439250).
set -eu
src=$1
dir=${2:-tests/data/daidalus_tcas}
conf=${3:-$src/Configurations/TCAS3D.conf}
stem=$(basename "$conf" .conf)
build=$(mktemp -d)
find "$src/Java/src" -name '*.java' > "$build/sources.txt"
javac -nowarn -encoding UTF-8 -d "$build" @"$build/sources.txt"
mkdir -p "$dir/outputs"
for f in "$dir"/*.daa; do
  name=$(basename "$f" .daa)
  java -cp "$build" DaidalusAlerting --conf "$conf" --prec 6 \
    -o "$dir/outputs/${name}__${stem}.csv" "$f"
done
rm -rf "$build"
