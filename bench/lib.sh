# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What the benchmarks in bench/ share; sourced after tests/lib/common.sh.

# median: the median of the numbers on stdin (one per line or space-separated).
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# cgroups_usec CG...: the CPU time of the processes in the cgroups, in µs
# (the growth of cpu.stat's usage_usec between two calls is a run's CPU).
cgroups_usec() {
	local cg s=0 v
	for cg; do
		v=$(awk '$1 == "usage_usec" {print $2}' "$cg/cpu.stat")
		s=$((s + v))
	done
	echo "$s"
}

# per_unit "RATE COUNT" USEC SCALE: "RATE CPU", the CPU (USEC * SCALE) per
# counted unit (bytes, connections, requests) of a tcpbench client's line;
# fails if it counted nothing.
per_unit() {
	awk -v o="$1" -v c="$2" -v s="$3" 'BEGIN {
		split(o, f, " ")
		if (f[2] <= 0) exit 1
		printf "%s %.3f\n", f[1], c * s / f[2]
	}'
}
