#!/bin/sh
# Boot test, issue 15: the kernel data path of the installed daemon on the
# guest's kernel (clsact on 6.1), then `systemctl restart sock464` under a
# live connection (the shipped unit passes --pin): it must still work
# after, with exactly one sock464 filter per hook, as before.  Lines start
# with "kpath: "; the facts the host checks are BOOT-REPORT lines.
r() { echo "BOOT-REPORT kpath $*"; }
say() { sed 's/^/kpath: /'; }
filters() {
	for d in lo uplink0; do
		for h in egress ingress; do
			tc filter show dev $d $h | sed -n "s/^\(filter .*sock464:.*\)/$d $h: \1/p"
		done
	done
}
count() { cat /run/hold.count 2>/dev/null || echo 0; }
# wait_count N SECONDS: until hold.py made more than N lines.
wait_count() {
	i=0
	while [ "$(count)" -le "$1" ] && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
}

st=$(sock464ctl status 2>&1)
echo "$st" | say
r "status: $(echo "$st" | grep -m1 '^data path:')"
r "counters: $(echo "$st" | grep -o ' xlat_out=[0-9]*\| xlat_in=[0-9]*\| xlat_out_no_route=[0-9]*' | tr -d '\n')"
r "log: $(journalctl -b -o cat -u sock464 | grep -m1 'kernel data path:')"
# The source the daemon chose (a first "no IPv6 source" warning may come
# just before it, while the uplink's address is not there yet); else any
# word about it; else none: bpf_fib_lookup chooses.
src=$(journalctl -b -o cat -u sock464 | grep -m1 'IPv6 source .*, chosen by the daemon' ||
	journalctl -b -o cat -u sock464 | grep -m1 'IPv6 source' || echo 'from bpf_fib_lookup')
r "source: $src"
filters | say
r "filters before: $(filters | wc -l)"

rm -f /run/hold.count
systemctl start hold.service
wait_count 3 30
before=$(count)
r "hold before restart: $before lines, $(systemctl is-active hold)"
systemctl restart sock464
r "restart: sock464 $(systemctl is-active sock464), $(systemctl show -p NRestarts sock464)"
after0=$(count)
wait_count $((after0 + 20)) 30
after=$(count)
hold=$(systemctl is-active hold)
journalctl -b -o cat -u hold | say
if [ "$hold" = active ] && [ "$after" -gt $((after0 + 20)) ]; then
	r "restart: survived ($before lines before, $after0 at the restart, $after after)"
else
	r "restart: broken (hold $hold; $before lines before, $after0 at the restart, $after after)"
fi
systemctl stop hold.service
filters | say
r "filters after: $(filters | wc -l)"
st=$(sock464ctl status 2>&1)
r "status after: $(echo "$st" | grep -m1 '^data path:')"
r "counters after: $(echo "$st" | grep -o ' xlat_out=[0-9]*\| xlat_in=[0-9]*\| xlat_out_no_route=[0-9]*' | tr -d '\n')"
journalctl -b -o cat -u sock464 | tail -n 30 | say
