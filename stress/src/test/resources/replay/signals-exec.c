/* A non-leader thread runs execve while another process signals its tid (gcc -O1 -pthread -o /tmp/ex ex.c; run as "ex exec"; written by a review, 2026-11-30) */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
static volatile int *sh;
static void *th(void *a){ (void)a; sh[0] = gettid(); while (!sh[1]) ; execl("/bin/true", "true", NULL); return NULL; }
int main(int argc, char **argv) {
    sh = mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0);
    pid_t leader = getpid();
    if (!strcmp(argv[1], "exec")) {
        pid_t q = fork();
        if (q == 0) {
            while (!sh[0]) ;
            sh[1] = 1;
            int tid = sh[0], n = 0;
            while (syscall(SYS_tgkill, leader, tid, 0) == 0) n++;
            /* and the leader's pid: now the exec'd program */
            syscall(SYS_tgkill, leader, leader, 0); kill(tid, 0); syscall(SYS_tkill, tid, 0);
            _exit(0);
        }
        pthread_t t; pthread_create(&t, NULL, th, NULL);
        for (;;) pause();
    } else if (!strcmp(argv[1], "mtreap")) { /* C version of threaded reaper race, with tgkill */
        for (int i = 0; i < 30; i++) {
            pid_t c = fork(); if (!c) _exit(0);
            if (fork() == 0) { while (kill(c, 0) == 0) ; _exit(0); } /* a sibling polling */
            waitpid(c, NULL, 0); wait(NULL);
        }
    }
    return 0;
}
