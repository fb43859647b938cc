/*
 * workload: the guest process whose memory must survive hibernation.
 *
 * Usage: workload MIB SEED
 *
 * Fills MIB MiB of anonymous memory with a pattern that depends on the
 * process id and SEED (a 64-bit xorshift* sequence, one value per 8-byte
 * word, so every page is touched and differs from every other), then prints
 * "workload: pid=P counter=C" once a second. On SIGUSR1 it checks the whole
 * area again and prints "workload: verify pid=P counter=C ok" or
 * "... BAD at offset X". The counter counts seconds of running time; after
 * a resume it goes on from where the snapshot left it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t verify_requested;

static void on_usr1(int sig)
{
	(void)sig;
	verify_requested = 1;
}

static uint64_t next_value(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

static uint64_t initial_state(pid_t pid, uint64_t seed)
{
	uint64_t s = ((uint64_t)pid * UINT64_C(0x9E3779B97F4A7C15)) ^ seed;

	return s ? s : UINT64_C(0x1234567887654321); /* xorshift needs != 0 */
}

static void fill(uint64_t *words, size_t n, uint64_t state)
{
	for (size_t i = 0; i < n; i++)
		words[i] = next_value(&state);
}

/* Returns the byte offset of the first bad word, or -1 when all match. */
static long long check(const uint64_t *words, size_t n, uint64_t state)
{
	for (size_t i = 0; i < n; i++)
		if (words[i] != next_value(&state))
			return (long long)(i * sizeof(uint64_t));
	return -1;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t mib, seed;

	if (argc != 3 || parse_u64(argv[1], &mib) || parse_u64(argv[2], &seed) ||
	    mib == 0 || mib > 4096) {
		fprintf(stderr, "usage: workload MIB SEED\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	size_t bytes = (size_t)mib << 20;
	size_t n = bytes / sizeof(uint64_t);
	pid_t pid = getpid();
	uint64_t state = initial_state(pid, seed);

	uint64_t *words = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (words == MAP_FAILED) {
		perror("workload: mmap");
		return 1;
	}
	fill(words, n, state);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("workload: sigaction");
		return 1;
	}

	printf("workload: ready pid=%d mib=%" PRIu64 "\n", (int)pid, mib);
	for (uint64_t counter = 0;; counter++) {
		printf("workload: pid=%d counter=%" PRIu64 "\n", (int)pid, counter);
		/* Sleep one second; a signal cuts it short, so verify and finish. */
		struct timespec left = { .tv_sec = 1 };
		for (;;) {
			int r = nanosleep(&left, &left);
			if (verify_requested) {
				verify_requested = 0;
				long long bad = check(words, n, state);
				if (bad < 0)
					printf("workload: verify pid=%d counter=%" PRIu64 " ok\n",
					       (int)pid, counter);
				else
					printf("workload: verify pid=%d counter=%" PRIu64
					       " BAD at offset %lld\n",
					       (int)pid, counter, bad);
			}
			if (r == 0 || errno != EINTR)
				break;
		}
	}
}
