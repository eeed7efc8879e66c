/* Two pthreads that each malloc and free a large block (glibc: a per-thread arena, mmap'd stacks). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg) {
    char *p = malloc(300000);
    memset(p, 1, 300000);
    char *q = malloc(1000);
    free(p);
    free(q);
    return arg;
}

int main(void) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    return 0;
}
