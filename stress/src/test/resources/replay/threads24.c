#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static void *work(void *arg) {
    long i = (long) arg;
    for (int k = 0; k < 20; k++) {
        char *p = malloc(1000 + k * 5000 + i);
        memset(p, 1, 1000);
        free(p);
    }
    char *big = malloc(300000); big[0] = 1; big = realloc(big, 900000); free(big);
    void *m = mmap(0, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    mprotect(m, 4096, PROT_NONE);
    munmap(m, 65536);
    return 0;
}
int main(void) {
    pthread_t t[24];
    for (long i = 0; i < 24; i++) pthread_create(&t[i], 0, work, (void *) i);
    for (int i = 0; i < 24; i++) pthread_join(t[i], 0);
    for (long i = 0; i < 8; i++) pthread_create(&t[i], 0, work, (void *) i);
    for (int i = 0; i < 8; i++) pthread_join(t[i], 0);
    return 0;
}
