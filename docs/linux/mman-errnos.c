#define _GNU_SOURCE
#include <sys/mman.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#define P(x) do{ errno=0; long _r=(long)(x); printf("%-28s = %lx %s\n", #x, _r, errno?strerror(errno):""); }while(0)
int main(){
  P(mmap(0, 4096, 0x10|PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0));
  char* a = mmap(0, 4096*4, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  P(mprotect(a, 4096, 0x10));
  P(mprotect(a, 4096, 0x8));
  P(mprotect(a+1, 4096, PROT_READ));
  P(mprotect(a, 0, PROT_READ));
  P(mprotect(a, -4096L, PROT_READ));
  P(munmap(a+1, 4096));
  P(munmap(a, -4096L));
  P(mmap(0, -4096L, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0));
  P(mmap(0, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0));
  P(mmap((void*)0x7ffffffff000L, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0));
  P(mmap((void*)0x100001, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0));
  P(mmap((void*)0x100001, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0));
  P(mmap((void*)a, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0));
  P(mremap(a, 4096, 8192, 0));
  P(mremap(a+4096*3, 4096, 8192, 0));
  P(mremap(a, 8192, 4096, 7));
  P(mremap(a, 8192, 4096, 2));
  P(mremap(a, 8192, 0, 0));
  P(mremap(a, 4096*8, 4096*16, MREMAP_MAYMOVE));
  P(madvise(a, 4096, 99));
  P(madvise(a+1, 4096, MADV_DONTNEED));
  P(madvise(a, 0, MADV_DONTNEED));
  char* b = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  char* c = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  printf("b=%p c=%p\n", b, c);
  P(syscall(SYS_brk, 0));
  P(syscall(SYS_brk, 0x1000));
  P(syscall(SYS_brk, 0x7fff00000000L));
  FILE* fp=fopen("/proc/self/maps","r"); char buf[256]; while(fgets(buf,256,fp)) if (buf[0]=='7') fputs(buf,stdout);
  /* mremap to a FIXED target from a hole: onto itself, then onto a mapped page (is it kept?) */
  char* h = mmap(0, 4096*2, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  munmap(h, 4096); h[4096] = 6;
  P(mremap(h, 4096, 4096, MREMAP_MAYMOVE|MREMAP_FIXED, h));
  P(mremap(h, 4096, 4096, MREMAP_MAYMOVE|MREMAP_FIXED, h+4096));
  printf("the target after: %d\n", h[4096]);
  /* a FIXED move whose old range runs past its area: growing (EFAULT, the target kept?), shrinking */
  char* g = mmap(0, 4096*64, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  munmap(g, 4096*64);
  char* t = g + 4096*32;
  mmap(g, 4096*2, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  mmap(t, 4096*4, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  g[0] = 21; t[0] = 7;
  P(mremap(g, 4096*3, 4096*4, MREMAP_MAYMOVE|MREMAP_FIXED, t) == (void*)t);
  printf("the target after: %d, the old page: %d\n", t[0], g[0]);
  P(mremap(g, 4096*3, 4096, MREMAP_MAYMOVE|MREMAP_FIXED, t) == (void*)t);
  printf("the target after: %d, the old range mapped: %d %d\n", t[0], msync(g, 4096, 0) == 0, msync(g + 4096, 4096, 0) == 0);
  /* Linux 6.17's multi-VMA move: FIXED, old len = new len, over A (rw, 2 pages), a hole, B (r, 2 pages)
     onto one rw area of 5 pages; then a range that starts in a hole. Layout printed as page offsets. */
  char* m = mmap(0, 4096*64, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  munmap(m, 4096*64);
  char* mt = m + 4096*32;
  mmap(m, 4096*2, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  mmap(m + 4096*3, 4096*2, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  mmap(mt, 4096*5, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  m[4096] = 2; mt[4096*2] = 9;
  P(mremap(m, 4096*5, 4096*5, MREMAP_MAYMOVE|MREMAP_FIXED, mt) == (void*)mt);
  fp = fopen("/proc/self/maps", "r");
  while (fgets(buf, 256, fp)) {
    unsigned long lo, hi; char perms[8];
    sscanf(buf, "%lx-%lx %7s", &lo, &hi, perms);
    if (lo >= (unsigned long) m && lo < (unsigned long) m + 4096*64)
      printf("  pages %ld-%ld %s\n", (long)(lo - (unsigned long) m) / 4096, (long)(hi - (unsigned long) m) / 4096, perms);
  }
  fclose(fp);
  printf("moved: %d, the target across from the hole: %d\n", mt[4096], mt[4096*2]);
  P(mremap(mt + 4096*5, 4096*3, 4096*3, MREMAP_MAYMOVE|MREMAP_FIXED, m));
  return 0;
}
