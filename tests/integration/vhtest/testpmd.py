"""A dpdk-testpmd in interactive mode, driven over its stdin."""
import re
import time

from .proc import Proc

TESTPMD = "dpdk-testpmd"
PROMPT = r"testpmd> "


class Testpmd(Proc):
    """dpdk-testpmd -i with its own file prefix, in memory, without PCI.

    lcores: the -l list; main: the main lcore (the remaining one forwards).
    vdevs: --vdev arguments. app: testpmd application options after "--".
    """

    def __init__(self, name, logpath, prefix, vdevs, app=(), lcores="0,1", main=1, mem_mb=256):
        argv = ["stdbuf", "-o0", "-e0", TESTPMD, "-l", lcores, "--main-lcore", str(main), "--in-memory",
                "--single-file-segments", "--no-pci", "--file-prefix", prefix, "-m", str(mem_mb)]
        for v in vdevs:
            argv += ["--vdev", v]
        argv += ["--", "-i", "--no-flush-rx"] + list(app)
        super().__init__(name, argv, logpath, stdin=True)

    def ready(self, timeout=60):
        """Wait for the first prompt; raise RuntimeError if a port failed to start."""
        self.wait_for(PROMPT, timeout)
        bad = [l for l in self.text().splitlines()
               if re.search(r"Start ports failed|Fail to (configure|start)|failed:|check failed", l)]
        if bad:
            raise RuntimeError("%s could not start its ports: %s" % (self.name, " | ".join(bad[:3])))

    def tail(self, n=20):
        """The last lines before the shutdown messages (the forwarding
        statistics printed by "stop" stay in)."""
        try:
            text = self.text()
        except OSError as e:
            return ["(log unreadable: %s)" % e]
        cut = text.find("\nStopping port")
        if cut > 0:
            text = text[:cut]
        return text.splitlines()[-n:]

    def cmd(self, line, timeout=15):
        """Run one command; returns its output (up to the next prompt)."""
        start = self.size()
        self.send(line)
        m = self.wait_for(PROMPT, timeout, start=start)
        return self.text(start)[:m.start()]

    def port_stats(self):
        """{port: {"rx": n, "rx_missed": n, "rx_errors": n, "tx": n, "tx_errors": n}}"""
        out = self.cmd("show port stats all")
        stats = {}
        for block in re.split(r"#+ NIC statistics for port\s+", out)[1:]:
            port = int(block.split()[0])
            nums = {}
            for key, rx in (("rx", r"RX-packets:\s+(\d+)"), ("rx_missed", r"RX-missed:\s+(\d+)"),
                            ("rx_errors", r"RX-errors:\s+(\d+)"), ("tx", r"TX-packets:\s+(\d+)"),
                            ("tx_errors", r"TX-errors:\s+(\d+)")):
                m = re.search(rx, block)
                nums[key] = int(m.group(1)) if m else None
            stats[port] = nums
        return stats

    def link_up(self, port):
        return bool(re.search(r"Link status:\s+up", self.cmd("show port info %d" % port)))

    def wait_link(self, port, timeout=20):
        end = time.monotonic() + timeout
        while not self.link_up(port):
            if time.monotonic() > end:
                raise RuntimeError("%s: port %d link not up within %ds" % (self.name, port, timeout))
            time.sleep(0.2)

    def quit(self, timeout=20):
        """stop + quit; returns the exit status (killed if it does not exit)."""
        if self.alive():
            try:
                self.cmd("stop", timeout=10)
            except (RuntimeError, OSError):
                pass
            try:
                self.send("quit")
                self.p.wait(timeout)
            except Exception:
                pass
        return self.stop()
