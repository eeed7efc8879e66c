#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static pid_t kid;
static void *reaper(void *a) { int st; waitpid(-1, &st, 0); return 0; }
static void *forker(void *a) { kid = fork(); if (kid == 0) { usleep(20000); _exit(1); } return 0; }
static void *execer(void *a) { usleep(20000); execl("/bin/true", "true", (char*)0); return 0; }
int main(int argc, char **argv) {
    pthread_t t; int st;
    /* 1: another thread reaps; main then gets ECHILD */
    pid_t a = fork(); if (a == 0) { usleep(20000); _exit(0); }
    pthread_create(&t, 0, reaper, 0); pthread_join(t, 0);
    waitpid(-1, &st, WNOHANG);
    /* 2: a thread forks and exits; __WNOTHREAD from main (children reparented to main thread) */
    pthread_create(&t, 0, forker, 0); pthread_join(t, 0);
    usleep(50000);
    waitpid(kid, &st, __WNOTHREAD);
    /* 3: a child whose non-leader thread execs, then is killed */
    pid_t c = fork();
    if (c == 0) { pthread_create(&t, 0, execer, 0); for (;;) pause(); }
    waitpid(c, &st, 0);
    /* 4: same, exec'd program killed */
    c = fork();
    if (c == 0) { pthread_create(&t, 0, execer, 0); for (;;) pause(); }
    waitpid(c, &st, 0);
    return 0;
}
