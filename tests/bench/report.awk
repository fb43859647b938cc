# The benchmark's report, used by tests/bench/report: reads results.tsv
# (tab separated, one header line), prints the main part of bench.md,
# writes the chart's data to the file named by -v chart= and the summary
# lines to the file named by -v ratios=: "golden: N.NN s vs cold boot
# N.NN s" when both ran, then always "write: N.NN x kernel-lz4" and
# "resume: N.NN x kernel-lz4" (the last two).
# Other variables: kver, cpu, mem, mib, date.

BEGIN { FS = "\t" }

# With -v part=runs: the table of every run, from runs.tsv (a column "rep"
# after the name).
part == "runs" && FNR == 1 {
	printf "| contender | run | write MB/s | (snapshot → power-off MB/s) | read MB/s | trigger → power-off s | (preallocation s) | (the rest s) | kernel start → workload running s | image on disk MB | status |\n"
	printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
	next
}
part == "runs" {
	printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2,
		plain(rate($3, $7), "%.1f"), plain(rate($3, $21), "%.1f"), plain(rate($3, $9), "%.1f"),
		plain(num($5) ? $5 : "", "%.2f"), plain(num($6) ? $6 : "", "%.2f"),
		plain(num($16) ? $16 : "", "%.2f"),
		plain(num($8) ? $8 : "", "%.2f"), plain(num($4) ? mb($4) : "", "%.1f"), $14
	next
}

function num(x) { return x ~ /^[0-9]+(\.[0-9]+)?$/ }
function mb(b) { return b / 1e6 }
function rate(b, s) { return (num(b) && num(s) && s > 0) ? b / 1e6 / s : "" }
function plain(v, fmt) { return v == "" ? "—" : sprintf(fmt, v) }

# cell(v, best, fmt): the value, and its ratio to the kernel's best value.
function cell(v, best, fmt) {
	if (v == "")
		return "—"
	if (best == "" || best == 0)
		return sprintf(fmt, v)
	return sprintf(fmt " (%.2f×)", v, v / best)
}

NR == 1 { next }

{
	n++
	name[n] = $1
	status[n] = $13
	memb[n] = num($2) ? $2 : ""
	disk[n] = num($3) ? mb($3) : ""
	toff[n] = num($4) ? $4 : ""
	pre[n] = num($5) ? $5 : ""
	w[n] = rate($2, $6)
	res[n] = num($7) ? $7 : ""
	r[n] = rate($2, $8)
	swk[n] = num($9) ? $9 / 1024 : ""
	srk[n] = num($10) ? $10 / 1024 : ""
	jump[n] = num($11) ? $11 : ""
	after[n] = num($12) ? $12 : ""
	resident[n] = num($14) ? mb($14) : ""
	rest[n] = num($15) ? $15 : ""
	w10[n] = num($16) ? $16 : ""
	w90[n] = (num($17) && $17 > 0 && num($2)) ? 0.9 * $2 / 1e6 / $17 : ""
	r10[n] = num($18) ? $18 : ""
	r90[n] = (num($19) && $19 > 0 && num($2)) ? 0.9 * $2 / 1e6 / $19 : ""
	ws[n] = rate($2, $20)
	fill[n] = num($21) ? $21 : ""
	rs[n] = num($8) ? $8 : ""
	unseen[n] = num($22) ? $22 : ""
	srboot[n] = num($23) ? $23 : ""
	idx[$1] = n
	# The kernel's best, per column: smallest or fastest.
	if ($1 ~ /^kernel-/ && $13 == "ok") {
		if (disk[n] != "" && (bdisk == "" || disk[n] < bdisk)) bdisk = disk[n]
		if (toff[n] != "" && (btoff == "" || toff[n] < btoff)) btoff = toff[n]
		if (rest[n] != "" && (brest == "" || rest[n] < brest)) brest = rest[n]
		if (res[n] != "" && (bres == "" || res[n] < bres)) bres = res[n]
		if (w[n] != "" && w[n] > bw) bw = w[n]
		if (r[n] != "" && r[n] > br) br = r[n]
		if (w90[n] != "" && w90[n] > bw90) bw90 = w90[n]
		if (ws[n] != "" && ws[n] > bws) bws = ws[n]
		if (r90[n] != "" && r90[n] > br90) br90 = r90[n]
	}
}

END {
	if (part == "runs")
		exit
	printf "# Hibernation benchmark\n\n"
	printf "%s; Debian kernel %s in QEMU (TCG, `-cpu %s`, 2 vCPUs, %s MiB, virtio disks with `cache=none`); ", date, kver, cpu, mem
	if (ram == "lazy")
		printf "guest RAM backed by the host page by page at its first touch (`BENCH_RAM=lazy`); "
	else
		printf "guest RAM backed by the host before the guest starts (`-mem-prealloc`, `BENCH_RAM=backed`); "
	printf "workload %s MiB: a third random, a third text-like (lz4 -1: about 2.6×), a third zero or same-filled pages; ", mib
	printf "two thirds of each in a process, one third in tmpfs. "
	printf "In brackets: the value ÷ the kernel's best value (lzo or lz4) in that column; ↑ higher is better, ↓ lower is better.\n\n"

	printf "| contender | guest resident at trigger MB | image in memory MB | image on disk MB ↓ | trigger → power-off s ↓ | (preallocation s) | (the rest s ↓) | write MB/s ↑ | (snapshot → power-off MB/s ↑) | kernel start → workload running s ↓ | (boot kernel + restored s) | read MB/s ↑ | snapwrite peak MiB | snapresume peak MiB |\n"
	printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for (i = 1; i <= n; i++) {
		label = name[i]
		if (status[i] != "ok")
			label = label " (" status[i] ")"
		split_s = (jump[i] != "" && after[i] != "") ? sprintf("%.2f + %.2f", jump[i], after[i]) : "—"
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label,
			plain(resident[i], "%.0f"),
			plain(memb[i] == "" ? "" : mb(memb[i]), "%.1f"),
			cell(disk[i], bdisk, "%.1f"), cell(toff[i], btoff, "%.2f"), plain(pre[i], "%.2f"), cell(rest[i], brest, "%.2f"),
			cell(w[i], bw, "%.1f"), cell(ws[i], bws, "%.1f"), cell(res[i], bres, "%.2f"), split_s,
			cell(r[i], br, "%.1f"), plain(swk[i], "%.1f"), plain(srk[i], "%.1f")
	}
	printf "\n"
	printf "- *guest resident at trigger*: MemTotal − MemFree in the guest just before the trigger (workload, kernel, everything).\n"
	printf "- *image in memory*: the page stream the kernel hands out (6.12 leaves zero pages out of it). "
	printf "*image on disk*: for the kernel, the non-zero 4 KiB blocks of its swap area after the power-off; "
	printf "for snapwrite, its header and payload (`snapwrite status`); for the raw disk, the bytes written.\n"
	printf "- *write MB/s* = image in memory ÷ the time from the snapshot being in memory to the image being on disk "
	printf "(kernel: its `PM: hibernation: Wrote` line; snapwrite: its `image committed` line). "
	printf "*read MB/s* = image in memory ÷ the time to load it back into the kernel "
	printf "(kernel: `PM: hibernation: Read`; snapresume: `image loaded in`). "
	printf "Raw disk: the same number of bytes written from the guest with O_DIRECT in 1 MiB requests, then fdatasync, and read back.\n"
	printf "- *snapshot → power-off MB/s* = image in memory ÷ the time on the kernel's clock from the snapshot (its `Enabling non-boot CPUs` line, where the clock restarts after the copy) to `reboot: Power down`: one interval for every contender, whatever each writer counts as its own write time; it includes what the kernel does before its timer starts and the header and power-off after it.\n"
	printf "- *trigger → power-off*: from a mark written to /dev/kmsg just before `echo disk > /sys/power/state` "
	printf "or `snapwrite hibernate` to the kernel's `reboot: Power down`, plus the snapshot copy, which the kernel's "
	printf "clock does not show (it is wound back to the moment of the snapshot). It includes the kernel's preallocation "
	printf "of the image memory, the same work for every contender but very noisy on this machine (see *All runs*), so it is shown apart, with *the rest* (trigger → power-off minus preallocation, per run) beside it.\n"
	printf "- *kernel start → workload running*: the boot kernel's clock at its last line before the jump into the image, "
	printf "plus, in the restored kernel, the time from its first own line (`Enabling non-boot CPUs`) to the workload's "
	printf "`running again` mark (it polls the boot clock every 10 ms and notices the jump). "
	printf "No clock sees the firmware before the kernel or the final copy of the pages into place at the jump; "
	printf "both are the same for every contender.\n"
	printf "- *peak MiB*: the peak resident set snapwrite and snapresume report themselves.\n"
	printf "- *guest RAM*: every load starts in a freshly booted guest, and the kernel allocates and zeroes memory for the whole image before it takes the first data page. "
	printf "With `BENCH_RAM=lazy` the host backs each guest page only at its first touch, which under TCG made that allocation take over a second for every contender; "
	printf "a machine's RAM is there before it boots, so by default QEMU backs all of it first (`-mem-prealloc`) and the allocation costs what zeroing the memory costs.\n"
	printf "- Each value is the median of the good runs (see *All runs* below).\n"
	for (i = 1; i <= n; i++) {
		if (name[i] ~ /^snapwrite-w[0-9]+$/)
			printf "- *%s* (diagnostic): snapwrite with `--workers=%s`.\n", name[i], substr(name[i], 12)
		if (name[i] == "snapread")
			printf "- *snapread* (diagnostic): no image is written; its *write MB/s* is how fast `read()` hands the snapshot out of /dev/snapshot, one page per call, into a buffer that is thrown away.\n"
		if (name[i] == "golden")
			printf "- *golden*: `snapwrite snapshot --golden` of the same workload, the root file system on a device-mapper overlay, and the next boot, whose initramfs drops the COW store and loads the image without invalidating it (see *Golden snapshot against a cold boot* below). Its *kernel start → workload running* is measured as for a resume.\n"
		if (name[i] == "cold")
			printf "- *cold*: the same guest booted with no image, the workload started fresh; its *kernel start → workload running* is the printk clock of the workload's `ready` mark, once it has filled its memory and tmpfs.\n"
		if (name[i] == "loadfloor")
			printf "- *loadfloor* (diagnostic): the kernel's own part of a load. A snapshot of the workload is taken and dropped, keeping its header and page list; the next boot's initramfs hands the kernel those and then as many data pages from one buffer (256 per `writev()`, as snapresume does), and closes /dev/snapshot without restoring. Its *read MB/s* is data pages ÷ that time: no loader through /dev/snapshot can read faster in this guest.\n"
	}
	printf "\n"

	printf "Where the time goes: each transfer split into its first tenth and the other nine tenths (medians). "
	printf "Reading, the first tenth holds the kernel allocating and zeroing memory for the whole image when the first data page arrives, the same work for both loaders; "
	printf "writing, it shows start-up costs and stalls (see the logs for where they fall).\n\n"
	printf "| contender | write: first tenth s | write: other nine tenths MB/s ↑ | read: first tenth s | read: other nine tenths MB/s ↑ |\n"
	printf "|---|---:|---:|---:|---:|\n"
	for (i = 1; i <= n; i++) {
		if (w10[i] == "" && r10[i] == "")
			continue
		printf "| %s | %s | %s | %s | %s |\n", name[i], plain(w10[i], "%.2f"), cell(w90[i], bw90, "%.1f"),
			plain(r10[i], "%.2f"), cell(r90[i], br90, "%.1f")
	}
	printf "\n"

	s = idx["snapwrite"]
	k = idx["kernel-lz4"]
	wr = (s && k && w[s] != "" && w[k] != "") ? w[s] / w[k] : 0
	rr = (s && k && r[s] != "" && r[k] != "") ? r[s] / r[k] : 0
	if (s && k) {
		printf "The bar: write and read throughput each ≥ 2× kernel-lz4, image no larger than the smallest kernel image, snapwrite peak ≤ 64 MiB.\n\n"
		verdict = "met"
		if (wr < 2)
			verdict = sprintf("not met (%.0f%% short of 2×)", 100 * (2 - wr) / 2)
		printf "- write: %.2f× kernel-lz4: %s\n", wr, verdict
		verdict = "met"
		if (rr < 2)
			verdict = sprintf("not met (%.0f%% short of 2×)", 100 * (2 - rr) / 2)
		printf "- read: %.2f× kernel-lz4: %s\n", rr, verdict
		if (disk[s] != "" && bdisk != "") {
			verdict = "met"
			if (disk[s] > bdisk)
				verdict = sprintf("not met (%.1f%% larger)", 100 * (disk[s] / bdisk - 1))
			printf "- image: %.1f MB against %.1f MB: %s\n", disk[s], bdisk, verdict
		}
		if (swk[s] != "") {
			verdict = "met"
			if (swk[s] > 64)
				verdict = sprintf("not met (%.1f MiB over)", swk[s] - 64)
			printf "- snapwrite peak: %.1f MiB: %s\n", swk[s], verdict
		}
		f = idx["loadfloor"]
		if (f && r[f] != "" && r[k] != "")
			printf "- the kernel's own part of a load (loadfloor) allows any loader at most %.2f× kernel-lz4 here; snapresume reaches %.0f%% of that\n", r[f] / r[k], 100 * r[s] / r[f]
		printf "\n"
	}
	g = idx["golden"]
	c = idx["cold"]
	if (g && c) {
		printf "## Golden snapshot against a cold boot\n\n"
		printf "Kernel start to the workload running, medians: a boot that returns to a golden snapshot of the running workload, against a boot of the same guest (same disks, same kernel command line, the root on the same overlay, no image) that starts the workload fresh and lets it fill its memory.\n\n"
		printf "| boot | kernel start → workload running s ↓ | where the time goes |\n"
		printf "|---|---:|---|\n"
		printf "| golden resume | %s | boot kernel up to its last line before the jump into the image %s s (snapresume's load of the image %s s within it), restored kernel to the workload's `running again` %s s; not seen by any clock, between the two: at most %s s |\n",
			plain(res[g], "%.2f"), plain(jump[g], "%.2f"), plain(rs[g], "%.2f"), plain(after[g], "%.2f"), plain(unseen[g], "%.2f")
		printf "| cold boot | %s | snapresume in the initramfs (no image; it sets up the overlay) %s s, the workload filling its memory (its own clock) %s s, the rest of the boot %s s |\n",
			plain(res[c], "%.2f"), plain(srboot[c], "%.2f"), plain(fill[c], "%.2f"),
			plain((res[c] != "" && srboot[c] != "" && fill[c] != "") ? res[c] - srboot[c] - fill[c] : "", "%.2f")
		printf "\n"
		if (res[g] != "" && res[c] != "" && res[g] > 0) {
			printf "A golden resume reaches the running workload in %.0f%% of the time of a cold boot (%.2f× faster)", 100 * res[g] / res[c], res[c] / res[g]
			if (unseen[g] != "")
				printf "; counting the unseen part at its bound, in %.0f%% (%.2f×)", 100 * (res[g] + unseen[g]) / res[c], res[c] / (res[g] + unseen[g])
			printf ".\n\n"
		}
		printf "- The golden resume's time is measured as for a resume: the boot kernel's clock at its last line before the jump into the image (it includes dropping the COW store and loading the image), plus, in the restored kernel, its first own line to the workload's `running again` mark (it includes snapwrite putting the overlay back while the system is still frozen). The snapshot boot itself (filling memory, taking the snapshot) is done once and not counted: every later boot returns to it.\n"
		printf "- Not seen by any clock: after its last line the boot kernel suspends its console, quiesces the devices, takes the other CPU down and copies into place the pages it could not load there, then jumps. The boot that took the snapshot did the same steps where its clock shows them, and copied every page of the image: the time from its console's suspension to `Image created` bounds that part from above.\n"
		printf "- The cold boot's time is the printk clock of the workload's `ready` mark: kernel, initramfs (snapresume finds no image and sets up the overlay), init, then the workload started fresh filling %s MiB.\n\n", mib
		printf("golden: %s s vs cold boot %s s\n", plain(res[g], "%.2f"), plain(res[c], "%.2f")) > ratios
	}
	printf("write: %.2f x kernel-lz4\nresume: %.2f x kernel-lz4\n", wr, rr) > ratios
	for (i = 1; i <= n; i++)
		if (w[i] != "" || r[i] != "")
			printf("\"%s\" %s %s\n", name[i], w[i] == "" ? 0 : w[i], r[i] == "" ? 0 : r[i]) > chart
}
