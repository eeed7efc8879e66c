#define _GNU_SOURCE
#include <sys/mman.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
int main(){
  void *a = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  void *b = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  printf("a=%p b=%p\n", a, b);
  void *c = mmap(0, 4096, PROT_READ, MAP_SHARED|MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); printf("both=%p %s\n", c, strerror(errno));
  void *d = mmap(0, 4096, PROT_READ, 0x4|MAP_ANONYMOUS, -1, 0); printf("type4=%p %s\n", d, strerror(errno));
  void *e = mmap(0, 4096, 0x8, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); printf("prot8=%p %s\n", e, strerror(errno));
  void *f = mmap((void*)0x1000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0); printf("fixedlow=%p %s\n", f, strerror(errno));
  void *g = mmap((void*)0x1000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); printf("hintlow=%p\n", g);
  errno=0; int r = mprotect(a, 4096, 0x8); printf("mprot8=%d %s\n", r, strerror(errno));
  errno=0; r = munmap(a, 0); printf("munmap0=%d %s\n", r, strerror(errno));
  errno=0; void* m = mremap(a, 0, 4096, MREMAP_MAYMOVE); printf("mremap0=%p %s\n", m, strerror(errno));
  errno=0; m = mremap((void*)0x10000000, 4096, 4096, 0); printf("mremapshrinkunmapped=%p %s\n", m, strerror(errno));
  errno=0; m = mremap((void*)0x10000000, 8192, 4096, 0); printf("mremapshrinkunmapped2=%p %s\n", m, strerror(errno));
  errno=0; r = madvise((void*)0x10000000, 4096, MADV_DONTNEED); printf("madvhole=%d %s\n", r, strerror(errno));
  errno=0; r = mprotect((void*)0x10000000, 4096, PROT_READ); printf("mprothole=%d %s\n", r, strerror(errno));
  errno=0; void* s = mmap(0, 4096, PROT_READ, MAP_SHARED_VALIDATE|MAP_ANONYMOUS|0x400000, -1, 0); printf("sv-unknown=%p %s\n", s, strerror(errno));
  void *h = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_GROWSDOWN, -1, 0); printf("gd=%p\n", h);
  void *i = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); printf("after gd=%p\n", i);
  printf("brk0=%p\n", (void*)syscall(SYS_brk, 0));
  FILE* fp=fopen("/proc/self/maps","r"); char buf[256]; while(fgets(buf,256,fp)) fputs(buf,stdout);
  return 0;
}
