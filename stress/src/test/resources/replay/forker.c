/* fork: the child changes its copy (munmap, mprotect, mmap) and runs /bin/true; the parent waits and
 * unmaps. Then a vfork child that exits at once. */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    char *shared = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *priv = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    shared[0] = 1;
    priv[0] = 1;
    pid_t pid = fork();
    if (pid == 0) {
        munmap(priv + 2 * 4096, 2 * 4096);
        mprotect(priv, 4096, PROT_READ);
        mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        execl("/bin/true", "true", (char *) 0);
        _exit(1);
    }
    waitpid(pid, 0, 0);
    munmap(priv, 8 * 4096);
    pid = vfork();
    if (pid == 0) _exit(0);
    waitpid(pid, 0, 0);
    mprotect(shared, 4096, PROT_READ);
    return 0;
}
