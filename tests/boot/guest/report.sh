#!/bin/sh
# Writes what the host checks to the serial console, one "BOOT-REPORT" line
# per fact, then the logs.
sleep 1
r() { echo "BOOT-REPORT $*"; }
r "begin"
r "kernel: $(uname -r)"
r "systemd: $(systemctl --version | head -n1)"
r "is-active sock464: $(systemctl is-active sock464)"
r "$(systemctl show -p StatusText sock464)"
r "$(systemctl show -p NRestarts sock464)"
r "is-active server: $(systemctl is-active server)"
r "probe: $(systemctl show -p Result probe) $(systemctl show -p ExecMainStatus probe)"
r "bpffs: $(findmnt -n -o FSTYPE,TARGET /sys/fs/bpf)"
r "pins: $(ls /sys/fs/bpf/sock464 2>&1 | tr '\n' ' ')"
r "failed units: $(systemctl list-units --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
echo "----- journalctl -u sock464 -u probe -u server -u nat64 -u nat64-tayga -u hold"
journalctl -b --no-pager -o short-monotonic -u sock464 -u probe -u server -u nat64 \
	-u nat64-tayga -u hold
if ! systemctl -q is-active sock464; then
	# why: the daemon once more by hand, with -v (the verifier's log)
	echo "----- sock464-load -v (sock464.service is not active)"
	timeout 30 sock464-load -v --control /run/sock464-diag --no-ra --no-dns64 \
		--pref64 2001:db8:64::/96 --data-path kernel 2>&1 | tail -n 80 | sed 's/^/diag: /'
fi
echo "----- sock464ctl status"
sock464ctl status 2>&1
echo "----- systemctl status sock464"
systemctl status --no-pager -l sock464 2>&1
r "end"
