#!/usr/bin/env python3
"""Redis's own CPU time while keys are being written, from outside the writer.

    bench/redis_poll.py poll PORT OUT      every 10 ms: time, key count, used_cpu_user, used_cpu_sys (INFO cpu)
    bench/redis_poll.py windows OUT        each stretch in which the key count grew: keys, wall, Redis CPU

Run `poll` beside a `KEEP=1 bench/scale.sh shared` (the port is in the size's stores.log) and stop it after;
`windows` then shows the job's write and redis-benchmark's, each with the CPU Redis spent on it. cpu/wall
near 1 means Redis was the bottleneck; well below 1 means its client was. Standard library only.
"""
import socket
import sys
import time


def poll(port, out_path):
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            break
        except OSError:
            time.sleep(0.2)
    f = s.makefile("rb")

    def command(*args):
        s.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
        line = f.readline()
        if not line:
            raise EOFError
        if line[:1] == b"$":
            return f.read(int(line[1:]) + 2)[:-2].decode()
        return line[1:].strip().decode()

    with open(out_path, "w") as out:
        while True:
            try:
                info = command("INFO", "cpu")
                keys = command("DBSIZE")
            except (OSError, EOFError):
                return  # the server went away: the run is over
            cpu = dict(l.split(":", 1) for l in info.split("\r\n") if l.startswith("used_cpu_") and ":" in l)
            out.write("%.3f %s %s %s\n" % (time.time(), keys, cpu.get("used_cpu_user", "0"), cpu.get("used_cpu_sys", "0")))
            out.flush()
            time.sleep(0.01)


def windows(path, gap=0.3):
    rows = []
    for line in open(path):
        p = line.split()
        if len(p) == 4:
            rows.append((float(p[0]), int(p[1]), float(p[2]), float(p[3])))
    spans, start, end = [], None, None
    for i in range(1, len(rows)):
        if rows[i][1] > rows[i - 1][1]:
            start = i - 1 if start is None else start
            end = i
        elif start is not None and rows[i][0] - rows[end][0] > gap:
            spans.append((start, end))
            start = None
    if start is not None:
        spans.append((start, end))
    for a, b in spans:
        (t0, n0, u0, s0), (t1, n1, u1, s1) = rows[a], rows[b]
        wall, cpu = t1 - t0, (u1 + s1) - (u0 + s0)
        print("%s +%d keys in %.3f s: Redis CPU %.3f s (user %.3f, sys %.3f), cpu/wall %.2f, %s keys/s"
              % (time.strftime("%H:%M:%S", time.gmtime(t0)), n1 - n0, wall, cpu, u1 - u0, s1 - s0,
                 cpu / wall if wall else 0, format(int((n1 - n0) / wall), ",") if wall else "-"))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "poll":
        poll(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "windows":
        windows(sys.argv[2])
    else:
        sys.exit(__doc__)
