/* kill, tkill and tgkill as the replay checks them (gcc -O1 -pthread -o /tmp/kill kill.c) */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t worker;
static volatile int stop;

static void *run(void *arg) {
    (void)arg;
    worker = (pid_t)syscall(SYS_gettid);
    while (!stop) {
        usleep(1000);
    }
    return NULL;
}

int main(void) {
    pid_t me = getpid();
    int st;
    /* no such process, a bad signal, groups */
    syscall(SYS_kill, 999999, 100);                  /* ESRCH before the signal is looked at */
    syscall(SYS_kill, me, 100);                      /* EINVAL */
    syscall(SYS_kill, me, -1);                       /* EINVAL */
    syscall(SYS_kill, me, 0);
    syscall(SYS_kill, 0, 100);                       /* EINVAL: the caller's own group */
    syscall(SYS_kill, -1, 100);                      /* EINVAL */
    syscall(SYS_kill, INT_MIN, 0);                   /* ESRCH */
    syscall(SYS_kill, -999999, 0);                   /* ESRCH: no such group */
    syscall(SYS_tkill, 0, 0);                        /* EINVAL */
    syscall(SYS_tkill, -5, 0);                       /* EINVAL */
    syscall(SYS_tkill, me, 100);                     /* EINVAL */
    syscall(SYS_tkill, 999999, 100);                 /* ESRCH */
    syscall(SYS_tgkill, 0, me, 0);                   /* EINVAL */
    syscall(SYS_tgkill, me, 0, 0);                   /* EINVAL */
    syscall(SYS_tgkill, me, me, 0);
    syscall(SYS_tgkill, me, me, 100);                /* EINVAL */
    /* a thread: by its tid, by kill, and as a thread of another group */
    pthread_t t;
    pthread_create(&t, NULL, run, NULL);
    while (!worker) {
        usleep(1000);
    }
    syscall(SYS_tgkill, me, worker, 0);
    syscall(SYS_tkill, worker, 0);
    syscall(SYS_kill, worker, 0);                    /* a tid names its group */
    /* a zombie takes signals until it is reaped; then its pid is free */
    pid_t c = fork();
    if (c == 0) {
        _exit(3);
    }
    usleep(100000);
    syscall(SYS_kill, c, 0);
    syscall(SYS_kill, c, 100);                       /* EINVAL */
    syscall(SYS_tgkill, c, c, 0);
    syscall(SYS_tgkill, c, worker, 0);               /* ESRCH: the worker is not the child's */
    syscall(SYS_kill, c, SIGTERM);
    waitpid(c, &st, 0);
    syscall(SYS_kill, c, 0);                         /* ESRCH (or another process's now) */
    /* real-time signals, one past the last, and a signal that ends its child */
    pid_t d = fork();
    if (d == 0) {
        pause();
        _exit(0);
    }
    syscall(SYS_kill, d, 33);
    syscall(SYS_kill, d, 65);                        /* EINVAL */
    syscall(SYS_kill, d, SIGKILL);
    waitpid(d, &st, 0);
    stop = 1;
    pthread_join(t, NULL);
    /* a child that signals itself to death: its call has no result (= ?) */
    pid_t e = fork();
    if (e == 0) {
        syscall(SYS_tgkill, getpid(), getpid(), SIGKILL);
        _exit(1);
    }
    waitpid(e, &st, 0);
    return 0;
}
