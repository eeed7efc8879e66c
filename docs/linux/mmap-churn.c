/*
 * mmap_churn on the real kernel: what a writer thread that loops mmap 64 KiB / store to one page /
 * munmap in the same process does to a thread that runs page_fault1 (map 16 MiB, store to every
 * page, unmap) — the reference for the emulator's mmap_churn (docs/PERFORMANCE.md).
 *
 *   cc -O2 -pthread -o /tmp/mmap-churn docs/linux/mmap-churn.c
 *   /tmp/mmap-churn [seconds] [writers] [region_MiB] [touch|populate] [thread|process]
 *
 * Prints one line: writers, the faulting thread's pages touched per second, its store latencies
 * (p50/p99/p999 ns, every store timed with clock_gettime(CLOCK_MONOTONIC), the vDSO's), and the
 * writers' steps per second. With writers = 0 the same thread alone: run both and take the ratio.
 *
 * Mode touch (the default) faults each page with a store: this kernel (CONFIG_PER_VMA_LOCK) handles
 * it under the VMA's lock, not the mmap lock, as the speculative design does. Mode populate faults
 * each page with madvise(MADV_POPULATE_WRITE) of that page instead, in both threads: the kernel
 * faults it in through GUP under mmap_read_lock, as every fault did before per-VMA locks (and as the
 * locked design's faults hold the map lock), while the writer's mmap and munmap take the mmap lock
 * for writing. The syscall makes each page dearer alone; compare each mode's slowdown with the
 * writer, not the two modes' rates.
 *
 * Writers of kind process (the default is thread) are forked processes, each with a mm of its own:
 * the same loop, the same load on the CPUs, the caches, the memory and the page allocator, but no
 * mmap lock, VMA tree or TLB shootdown shared with the faulting thread. That is the baseline of the
 * emulator's churn_apart: what a writer costs through the machine, not through the lock scheme.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define BUCKETS 200000 /* latency histogram: 1 ns buckets up to 200 us, the rest in the last */

static volatile int *stop; /* shared with forked writers */
static int populate;

/* One page made present and written: a store, or MADV_POPULATE_WRITE of the page (mmap lock). */
static inline void fault_in(char *page, char value)
{
	if (!populate) {
		*(volatile char *)page = value;
	} else if (madvise(page, PAGE, MADV_POPULATE_WRITE)) {
		perror("madvise(MADV_POPULATE_WRITE)");
		exit(2);
	}
}
static uint64_t hist[BUCKETS];
static uint64_t *writer_steps; /* [64], shared with forked writers */

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000UL + (uint64_t)ts.tv_nsec;
}

static void *writer(void *arg)
{
	const long id = (long)arg;
	uint64_t steps = 0;
	while (!*stop) {
		char *p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("writer mmap");
			exit(2);
		}
		fault_in(p + 5 * PAGE, (char)steps);
		if (munmap(p, 64 * 1024)) {
			perror("writer munmap");
			exit(2);
		}
		steps++;
	}
	writer_steps[id] = steps;
	return NULL;
}

static uint64_t percentile(uint64_t total, double q)
{
	const uint64_t want = (uint64_t)(q * (double)total);
	uint64_t seen = 0;
	for (int i = 0; i < BUCKETS; i++) {
		seen += hist[i];
		if (seen > want)
			return (uint64_t)i;
	}
	return BUCKETS;
}

int main(int argc, char **argv)
{
	const int seconds = argc > 1 ? atoi(argv[1]) : 5;
	const int writers = argc > 2 ? atoi(argv[2]) : 1;
	const size_t region = (size_t)(argc > 3 ? atoi(argv[3]) : 16) << 20;
	populate = argc > 4 && strcmp(argv[4], "populate") == 0;
	const int processes = argc > 5 && strcmp(argv[5], "process") == 0;
	if (seconds < 1 || writers < 0 || writers > 64 || region == 0
	    || (argc > 4 && !populate && strcmp(argv[4], "touch") != 0)
	    || (argc > 5 && !processes && strcmp(argv[5], "thread") != 0)) {
		fprintf(stderr, "usage: %s [seconds>=1] [writers 0..64] [region_MiB>=1] [touch|populate] [thread|process]\n",
			argv[0]);
		return 2;
	}
	char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap shared");
		return 2;
	}
	stop = (volatile int *)shared;
	writer_steps = (uint64_t *)(shared + 64);
	pthread_t w[64];
	pid_t pid[64];
	for (long i = 0; i < writers; i++) {
		if (!processes) {
			pthread_create(&w[i], NULL, writer, (void *)i);
			continue;
		}
		pid[i] = fork();
		if (pid[i] < 0) {
			perror("fork");
			return 2;
		}
		if (pid[i] == 0) {
			writer((void *)i);
			_exit(0);
		}
	}
	const uint64_t start = now_ns(), end = start + (uint64_t)seconds * 1000000000UL;
	uint64_t pages = 0, total = 0;
	while (now_ns() < end) {
		char *p = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 2;
		}
		for (size_t off = 0; off < region; off += PAGE) {
			const uint64_t t0 = now_ns();
			fault_in(p + off, 1);
			const uint64_t d = now_ns() - t0;
			hist[d < BUCKETS ? d : BUCKETS - 1]++;
			total++;
		}
		munmap(p, region);
		pages += region / PAGE;
	}
	const double secs = (double)(now_ns() - start) / 1e9;
	*stop = 1;
	uint64_t steps = 0;
	for (int i = 0; i < writers; i++) {
		if (processes)
			waitpid(pid[i], NULL, 0);
		else
			pthread_join(w[i], NULL);
		steps += writer_steps[i];
	}
	printf("mode=%s writers=%d%s pages_per_sec=%.0f p50_ns=%lu p99_ns=%lu p999_ns=%lu writer_steps_per_sec=%.0f\n",
	       populate ? "populate" : "touch", writers, processes ? " (processes)" : "", (double)pages / secs, percentile(total, 0.5), percentile(total, 0.99),
	       percentile(total, 0.999), (double)steps / secs);
	return 0;
}
