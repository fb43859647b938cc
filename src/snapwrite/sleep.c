/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the machine sleeps around an image: the power mode after the image
 * is committed (mode=), suspend to RAM, systemd's sleep.conf, the
 * suspend-then-hibernate verb, and what logind is told it may offer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sleepconf.h"
#include "util.h"

#include "snapwrite.h"

const char *power_mode_name(int mode)
{
	switch (mode) {
	case POWER_PLATFORM: return "platform";
	case POWER_SHUTDOWN: return "shutdown";
	case POWER_REBOOT: return "reboot";
	}
	return "auto";
}

/* Does the kernel offer WORD in the sysfs list at path ("[a] b c")? */
static bool sysfs_offers(const char *path, const char *word)
{
	char buf[256];
	size_t n = strlen(word);

	if (read_text_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (char *p = buf; (p = strstr(p, word)); p += n) {
		bool start = p == buf || p[-1] == ' ' || p[-1] == '[';
		bool end = !p[n] || p[n] == ' ' || p[n] == ']' || p[n] == '\n';

		if (start && end)
			return true;
	}
	return false;
}

bool platform_s4_offered(void)
{
	return sysfs_offers("/sys/power/disk", "platform");
}

bool suspend_offered(void)
{
	return sysfs_offers("/sys/power/state", "mem");
}

bool s3_offered(void)
{
	/* SNAPSHOT_S2RAM suspends to S3 itself, whatever mem_sleep says: a
	 * machine with suspend-to-idle only cannot do it. */
	return suspend_offered() && sysfs_offers("/sys/power/mem_sleep", "deep");
}

int power_mode_pick(const struct args *a, int *ret)
{
	int mode = a->mode;

	if (mode == POWER_AUTO) {
		*ret = platform_s4_offered() ? POWER_PLATFORM : POWER_SHUTDOWN;
		return 0;
	}
	if (mode == POWER_PLATFORM && !platform_s4_offered()) {
		char buf[256] = "";

		read_text_file("/sys/power/disk", buf, sizeof(buf));
		buf[strcspn(buf, "\n")] = 0;
		log_error("mode=platform, but the platform offers no S4 (/sys/power/disk: %s); "
			  "nothing was done (mode=shutdown, or mode=auto to use S4 when there is "
			  "one)",
			  buf[0] ? buf : "unreadable");
		return -EOPNOTSUPP;
	}
	*ret = mode;
	return 0;
}

/* ---- suspend to RAM -------------------------------------------------------- */

/* Write the first word of `list` that the kernel offers in `path`. */
static int write_first_offered(const char *path, const char *list, char *used, size_t size)
{
	char words[128];

	snprintf(words, sizeof(words), "%s", list);
	for (char *save = NULL, *w = strtok_r(words, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		int fd, r = 0;

		if (!sysfs_offers(path, w))
			continue;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (write(fd, w, strlen(w)) < 0)
			r = -errno;
		close(fd);
		snprintf(used, size, "%s", w);
		return r;
	}
	return -EOPNOTSUPP;
}

static int suspend_now(const struct sleep_conf *c)
{
	char used[32];
	int r;

	if (c->mem_sleep_mode[0] &&
	    write_first_offered("/sys/power/mem_sleep", c->mem_sleep_mode, used, sizeof(used)) < 0)
		log_msg("none of MemorySleepMode=%s is offered; the kernel's default is used",
			c->mem_sleep_mode);
	sync();
	r = write_first_offered("/sys/power/state", c->suspend_state, used, sizeof(used));
	if (r == -EOPNOTSUPP)
		log_error("The kernel offers none of SuspendState=%s (/sys/power/state)",
			  c->suspend_state);
	else if (r < 0)
		log_error("Failed to suspend (%s): %s", used, strerror(-r));
	return r;
}

/* A battery that discharges: its capacity in percent, or -1. */
static int battery_discharging(void)
{
	DIR *dir = opendir("/sys/class/power_supply");
	struct dirent *e;
	int best = -1;

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		char path[512], buf[64];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/power_supply/%s/type", e->d_name);
		if (read_text_file(path, buf, sizeof(buf)) < 0 || strncmp(buf, "Battery", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/power_supply/%s/status", e->d_name);
		if (read_text_file(path, buf, sizeof(buf)) < 0 || strncmp(buf, "Discharging", 11) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/power_supply/%s/capacity", e->d_name);
		if (read_text_file(path, buf, sizeof(buf)) == 0 && (best < 0 || atoi(buf) < best))
			best = atoi(buf);
	}
	closedir(dir);
	return best;
}

static uint64_t boottime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Below this charge, a discharging battery ends the suspend (systemd's). */
#define BATTERY_LOW_PERCENT 5

/*
 * systemctl suspend-then-hibernate: suspend to RAM, woken by an alarm
 * (the RTC, through CLOCK_BOOTTIME_ALARM) after HibernateDelaySec=; woken
 * by it, hibernate with snapwrite; woken before it by anything else, run
 * on.  On a discharging battery the alarm comes at least every
 * SuspendEstimationSec= to look at the charge, and a charge under 5%
 * hibernates at once.  The image is written only when the alarm says so:
 * a lid opened within the delay costs no write and leaves no image.
 */
int do_suspend_then_hibernate(const struct args *a)
{
	struct sleep_conf c;
	struct args h = *a;
	uint64_t start, delay;
	int tfd, r;

	sleep_conf_read("", &c);
	delay = a->delay_usec ? a->delay_usec : c.hibernate_delay_usec;
	if (!suspend_offered()) {
		log_error("The kernel offers no suspend to RAM ('mem' in /sys/power/state); "
			  "nothing was done");
		return -EOPNOTSUPP;
	}
	tfd = timerfd_create(CLOCK_BOOTTIME_ALARM, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tfd < 0) {
		r = -errno;
		log_error("Failed to set a wake-up alarm (CLOCK_BOOTTIME_ALARM): %s; nothing was "
			  "done",
			  strerror(-r));
		return r == -EINVAL || r == -ENODEV ? -EOPNOTSUPP : r;
	}
	start = boottime_usec();
	for (;;) {
		uint64_t elapsed = boottime_usec() - start, left, step, fired = 0, went;
		int battery = battery_discharging();
		struct itimerspec its = {0};

		/* Within two seconds of it counts (see below). */
		if (elapsed + 2000000 >= delay) {
			log_msg("HibernateDelaySec= passed (%.0f s suspended in all): hibernating",
				(double)elapsed / 1e6);
			break;
		}
		if (battery >= 0 && battery < BATTERY_LOW_PERCENT) {
			log_msg("the battery is at %d%%: hibernating", battery);
			break;
		}
		left = delay - elapsed;
		step = battery >= 0 && c.estimation_usec < left ? c.estimation_usec : left;
		its.it_value.tv_sec = (time_t)(step / 1000000);
		its.it_value.tv_nsec = (long)(step % 1000000) * 1000;
		if (timerfd_settime(tfd, 0, &its, NULL) < 0) {
			r = -errno;
			log_error("Failed to set a wake-up alarm: %s; nothing was done",
				  strerror(-r));
			close(tfd);
			return r;
		}
		log_msg("suspending to RAM; an alarm wakes the system in %.0f s%s",
			(double)step / 1e6,
			step < left ? " to look at the battery" : " to hibernate");
		went = boottime_usec();
		r = suspend_now(&c);
		if (r < 0) {
			close(tfd);
			return r == -EOPNOTSUPP ? r : -ECANCELED;
		}
		/* The kernel sets the RTC alarm in whole seconds of the RTC,
		 * rounded down, and counts the time asleep in whole seconds:
		 * woken by it, the timer may still be up to two seconds from
		 * expiring.  A wake-up that close to the alarm's time
		 * (CLOCK_BOOTTIME runs on in suspend) is the alarm's. */
		if (read(tfd, &fired, sizeof(fired)) != (ssize_t)sizeof(fired))
			fired = 0;
		if (!fired && boottime_usec() - went + 2000000 >= step)
			fired = 1;
		if (!fired) {
			log_msg("woken before the alarm, after %.0f s: running on, no image written",
				(double)(boottime_usec() - start) / 1e6);
			close(tfd);
			return 0;
		}
		if (step >= left) {
			/* The alarm of the delay itself (it may come a moment
			 * early: suspending again for that moment would fail). */
			log_msg("woken by the alarm after %.0f s: HibernateDelaySec= passed, "
				"hibernating",
				(double)(boottime_usec() - start) / 1e6);
			break;
		}
		log_msg("woken by the alarm after %.0f s", (double)(boottime_usec() - start) / 1e6);
	}
	close(tfd);
	h.then_suspend = false;
	r = do_hibernate(&h);
	if (r < 0) {
		/* systemd's choice: a failed hibernation suspends again. */
		log_error("Hibernation failed; suspending to RAM again instead");
		if (suspend_now(&c) == 0)
			log_msg("woken: running on");
	}
	return r;
}

/* ---- what logind offers ----------------------------------------------------- */

#define SLEEP_ALLOW_DIR "/run/systemd/sleep.conf.d"

/*
 * logind answers CanHibernate, CanHybridSleep and CanSuspendThenHibernate
 * from sleep.conf and its drop-ins, read again for every question.  The
 * package ships SLEEP_ALLOW_NAME under lib/systemd/sleep.conf.d saying
 * "no" to all three; while "snapwrite check" passes, a file of the same
 * name in /run (which hides it) says "yes" to what can work: hibernate;
 * hybrid sleep when the machine has S3 (deep); suspend-then-hibernate when
 * it can suspend at all.  A file of
 * that name in /etc/systemd/sleep.conf.d is the administrator's and wins.
 */
void sleep_allow_update(bool ok)
{
	char path[] = SLEEP_ALLOW_DIR "/" SLEEP_ALLOW_NAME;
	bool s3 = s3_offered(), mem = suspend_offered();
	struct stat st;
	FILE *f;

	if (geteuid() != 0 || stat("/run/systemd/system", &st) < 0)
		return; /* not root, or not a systemd system: nothing to tell */
	if (!ok) {
		if (unlink(path) < 0 && errno != ENOENT)
			log_debug("Failed to remove %s: %s", path, strerror(errno));
		return;
	}
	if (mkdir(SLEEP_ALLOW_DIR, 0755) < 0 && errno != EEXIST)
		return;
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f,
		"# Written by 'snapwrite check', which passed: the sleep verbs that hibernate\n"
		"# go through snapwrite (removed again when a check fails).\n"
		"[Sleep]\n"
		"AllowHibernation=yes\n"
		"AllowHybridSleep=%s\n"
		"AllowSuspendThenHibernate=%s\n",
		s3 ? "yes" : "no", mem ? "yes" : "no");
	if (fclose(f) != 0)
		unlink(path);
}
