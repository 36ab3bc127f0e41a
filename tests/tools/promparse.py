#!/usr/bin/env python3
"""Parse Prometheus text exposition format (stdin) with the reference
parser, prometheus_client's text_string_to_metric_families, and print one
canonical line per sample:  NAME{k="v",...} VALUE  (labels sorted), after
"# family NAME TYPE" lines.  Exit 1 (with the parser's error) on text the
parser refuses, or on a sample outside a typed family."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others
        print("PARSE ERROR: %r" % e)
        return 1
    for f in fams:
        if f.type == "unknown" and f.name.startswith("sock464_") and "# TYPE %s untyped" % f.name not in text:
            print("FAIL family %s has no TYPE" % f.name)
            return 1
        print("# family %s %s" % (f.name, f.type))
        for s in f.samples:
            labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
            print("%s{%s} %r" % (s.name, labels, s.value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
