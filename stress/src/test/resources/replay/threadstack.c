/* A thread's stack is written at once (glibc's thread descriptor at its top, the kernel's tid): its
 * area is touched, so a part moved with DONTUNMAP keeps its offset and does not merge back, and a
 * shrinking move across the pieces is EFAULT (the replay must touch the stack at clone3 to agree).
 * gcc -O1 -pthread -o threadstack threadstack.c (2026-12-01) */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#define P 4096L
static char *s;
static void *run(void *arg) {
    (void)arg;
    syscall(SYS_mremap, s + 8 * P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, s + 2 * P);
    syscall(SYS_mremap, s + 3 * P, 3 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, s - 64 * P);
    syscall(SYS_mremap, s + 1 * P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, s - 64 * P);
    return 0;
}
int main(void) {
    s = mmap(0, 128 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, s, 128 * P);
    pthread_t t;
    pthread_create(&t, &a, run, 0);
    pthread_join(t, 0);
    return 0;
}
