/* snapmaps INIT FINAL PROG [ARGS...]: runs PROG under ptrace and saves its /proc/PID/maps twice,
 * right after execve (before the dynamic loader runs: --initial-maps) and at its exit (--maps).
 * Run it and strace under `setarch -R` so that both runs get the same layout. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static void copy_maps(pid_t pid, const char *to) {
    char path[64], buf[65536];
    snprintf(path, sizeof path, "/proc/%d/maps", (int) pid);
    FILE *in = fopen(path, "r"), *out = fopen(to, "w");
    if (!in || !out) { perror(to); exit(2); }
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: snapmaps INIT FINAL PROG [ARGS...]\n"); return 2; }
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0); /* SIGTRAP after execve */
    copy_maps(pid, argv[1]);
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXIT);
    ptrace(PTRACE_CONT, pid, 0, 0);
    for (;;) {
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) || WIFSIGNALED(st)) break;
        if (WIFSTOPPED(st) && st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            copy_maps(pid, argv[2]);
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else {
            int sig = WIFSTOPPED(st) ? WSTOPSIG(st) : 0;
            ptrace(PTRACE_CONT, pid, 0, sig == SIGTRAP ? 0 : sig);
        }
    }
    return 0;
}
