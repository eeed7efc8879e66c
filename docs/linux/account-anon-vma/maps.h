/* What the programs of docs/linux/account-anon-vma* share: print the /proc/self/maps lines
 * (range and rights) that overlap [lo, hi), after a tag, and their count. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#define P 4096UL
static void maps(const char *tag, unsigned long lo, unsigned long hi) {
    FILE *f = fopen("/proc/self/maps", "r"); char line[512]; int n = 0;
    printf("%s:", tag);
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e; sscanf(line, "%lx-%lx", &s, &e);
        if (s < hi && e > lo) { line[strcspn(line, "\n")] = 0; char *sp = strchr(line, ' '); sp[5] = 0; printf(" [%s]", line); n++; }
    }
    printf(" (%d)\n", n); fclose(f); fflush(stdout);
}
#define M(addr,len,prot,fl) mmap((void*)(addr), len, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|(fl), -1, 0)
