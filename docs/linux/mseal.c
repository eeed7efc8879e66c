/*
 * mseal(2) on the kernel of this machine (6.18), the reference for MsealTest: every case at a fixed
 * place in an empty window, so that the layouts (page offsets from the case's base, as
 * /proc/self/smaps shows them: rights, and "sealed", "dontfork", "random" from VmFlags) can be
 * compared one for one. gcc -O1 -o mseal mseal.c && ./mseal > mseal.out
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#define PG 4096L
#define R(x) do{ errno=0; long _r=(long)(x); printf("%-72s = %s\n", #x, _r==-1? strerror(errno) : "0"); }while(0)
#define M(x) do{ errno=0; void* _p=(x); printf("%-72s = %s\n", #x, _p==MAP_FAILED? strerror(errno) : "0"); }while(0)
#define MR(...) do{ errno=0; long _r=syscall(SYS_mremap, __VA_ARGS__); \
  printf("%-72s = %s\n", "mremap(" #__VA_ARGS__ ")", _r==-1? strerror(errno) : "0"); }while(0)
static long ms(void* a, long len, long f){ return syscall(462, a, len, f); }
static void layout(const char* what, char* base, int n){
  FILE* f = fopen("/proc/self/smaps","r"); char line[512]; unsigned long s=0,e=0; char perm[8]; int in=0;
  printf("  %s:", what);
  while (fgets(line, sizeof line, f)) {
    unsigned long a,b; char p[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, p) == 3 && line[0] != 'V') {
      in = a < (unsigned long)base + n*PG && b > (unsigned long)base; s=a; e=b; strcpy(perm,p); continue; }
    if (in && !strncmp(line, "VmFlags:", 8))
      printf(" [%ld,%ld)%s%s%s%s", (long)(s-(unsigned long)base)/PG, (long)(e-(unsigned long)base)/PG, perm,
             strstr(line," sl")?" sealed":"", strstr(line," dc")?" dontfork":"", strstr(line," rr")?" random":"");
  }
  printf("\n"); fclose(f);
}
static char* w; /* the window: 1024 pages, nothing mapped */
static char* at(int page, int n, int prot){ return mmap(w + page*PG, n*PG, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0); }
#define RW (PROT_READ|PROT_WRITE)
int main(){
  setvbuf(stdout, 0, _IONBF, 0);
  w = mmap(0, 1024*PG, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); munmap(w, 1024*PG);

  printf("== arguments and holes\n");
  char* a = at(0, 4, RW); munmap(a+2*PG, PG);
  R(ms(a, PG, 1));
  R(ms(a+1, PG, 0));
  R(ms(a, 0, 0));
  R(ms(a, -1L, 0));
  R(ms(a, -PG*2, 0));
  R(ms(a, 4*PG, 0));
  layout("a", a, 4);
  R(ms((void*)0x7ffffffff000L, 2*PG, 0));
  R(ms((void*)0x800000000000L, PG, 0));
  R(ms(a, PG+1, 0));
  layout("a", a, 4);
  R(ms(a, 2*PG, 0));

  printf("== splits and merges\n");
  char* b = at(8, 5, RW);
  R(ms(b+2*PG, PG, 0));
  layout("b", b, 5);
  R(ms(b+PG, PG, 0));
  layout("b", b, 5);
  char* e = at(16, 3, RW); ms(e, PG, 0); ms(e+2*PG, PG, 0);
  layout("e", e, 3);
  R(ms(e, 3*PG, 0));
  layout("e", e, 3);
  R(madvise(e+PG, PG, MADV_RANDOM));
  R(mlock(e+PG, PG));
  R(munlock(e+PG, PG));
  layout("e", e, 3);

  printf("== munmap and MAP_FIXED\n");
  b[PG] = 7;
  R(munmap(b, PG));
  R(munmap(b+PG, PG));
  R(munmap(b, 5*PG));
  R(munmap(b+3*PG, 2*PG));
  layout("b", b, 5);
  M(mmap(b+PG, PG, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0));
  M(mmap(b, 3*PG, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0));
  M(mmap(b+PG, PG, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0));
  printf("  b[1] = %d\n", b[PG]);
  /* the cut at the start of an unsealed first area stays */
  char* c = at(24, 3, RW); at(27, 1, PROT_READ); ms(c+3*PG, PG, 0);
  R(munmap(c+PG, 3*PG));
  layout("c", c, 4);
  char* d = at(32, 3, RW); at(35, 1, PROT_READ); ms(d+3*PG, PG, 0);
  M(mmap(d+PG, 3*PG, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0));
  layout("d", d, 4);
  char* f = at(40, 3, RW); at(43, 1, PROT_READ); ms(f+3*PG, PG, 0);
  MR(f, 4*PG, PG, 0, 0);
  layout("f", f, 4);

  printf("== mprotect\n");
  char* m = at(48, 3, RW); ms(m+PG, PG, 0);
  R(mprotect(m, 3*PG, PROT_READ));
  layout("m", m, 3);
  R(mprotect(m+PG, 2*PG, PROT_READ|PROT_EXEC));
  R(mprotect(m+PG, PG, RW));
  layout("m", m, 3);

  printf("== mremap\n");
  char* g = at(56, 1, RW); ms(g, PG, 0);
  MR(g, PG, 2*PG, 0, 0);
  MR(g, PG, 2*PG, MREMAP_MAYMOVE, 0);
  MR(g, PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, g+2*PG);
  MR(g, PG, PG, MREMAP_MAYMOVE|MREMAP_DONTUNMAP, 0);
  MR(g, 4*PG, 4*PG, MREMAP_MAYMOVE, 0);
  MR(g, 0, PG, MREMAP_MAYMOVE, 0);
  MR(g, PG, 0, 0, 0);
  MR(g, PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, g);
  char* h = at(64, 2, RW); ms(h, 2*PG, 0);
  MR(h, 2*PG, PG, 0, 0);
  MR(h, PG, PG, 0, 0);
  char* k = at(72, 1, RW); k[0] = 3;
  MR(k, PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, h);
  MR(k, PG, 2*PG, MREMAP_MAYMOVE|MREMAP_FIXED, h);
  printf("  k[0] = %d\n", k[0]);
  char* sh = mmap(w + 80*PG, 2*PG, RW, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, -1, 0); ms(sh, 2*PG, 0);
  MR(sh, 0, PG, MREMAP_MAYMOVE, 0);
  /* X (unsealed) then Y (sealed): a shrink onto Y, a no-op, a multi-area move, a FIXED shrink */
  char* x = at(88, 1, RW); at(89, 1, PROT_READ); ms(x+PG, PG, 0); x[0] = 9;
  MR(x, 2*PG, PG, 0, 0);
  MR(x, 2*PG, 2*PG, MREMAP_MAYMOVE, 0);
  MR(x, 2*PG, 2*PG, MREMAP_MAYMOVE|MREMAP_FIXED, w+96*PG);
  layout("x", x, 2);
  layout("its target", w+96*PG, 2);
  printf("  target[0] = %d\n", w[96*PG]);
  char* y = at(104, 1, RW); at(105, 1, PROT_READ); ms(y, PG, 0);
  MR(y, 2*PG, 2*PG, MREMAP_MAYMOVE|MREMAP_FIXED, w+112*PG);
  layout("y", y, 2);
  layout("its target", w+112*PG, 2);
  char* z = at(120, 2, RW); at(122, 1, PROT_READ); ms(z+2*PG, PG, 0); at(128, 1, RW);
  MR(z, 3*PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, w+128*PG);
  layout("z", z, 3);
  layout("its target", w+128*PG, 1);

  printf("== madvise\n");
  char* r = at(136, 6, RW); r[0] = 1; r[PG] = 2; r[2*PG] = 3; r[3*PG] = 4;
  mprotect(r+PG, PG, PROT_READ); ms(r, 2*PG, 0); ms(r+3*PG, PG, 0);
  layout("r", r, 6);
  R(madvise(r, PG, MADV_DONTNEED));
  R(madvise(r+PG, PG, MADV_DONTNEED));
  printf("  r[0] = %d, r[1] = %d\n", r[0], r[PG]);
  R(madvise(r+PG, PG, MADV_FREE));
  R(madvise(r+PG, PG, MADV_DONTNEED_LOCKED));
  R(madvise(r+PG, PG, MADV_DONTFORK));
  R(madvise(r+PG, PG, MADV_WIPEONFORK));
  R(madvise(r+PG, PG, MADV_RANDOM));
  R(madvise(r+PG, PG, MADV_WILLNEED));
  R(madvise(r+PG, PG, MADV_COLD));
  R(madvise(r+PG, PG, MADV_PAGEOUT));
  R(madvise(r+PG, PG, MADV_POPULATE_READ));
  R(madvise(r+PG, PG, MADV_DOFORK));
  r[0] = 5; r[2*PG] = 6;
  R(madvise(r, 4*PG, MADV_DONTNEED));
  printf("  r[0] = %d, r[1] = %d, r[2] = %d, r[3] = %d\n", r[0], r[PG], r[2*PG], r[3*PG]);
  R(madvise(r, 2*PG, MADV_DONTFORK));
  layout("r", r, 6);
  char* q = at(144, 3, PROT_READ); ms(q+PG, PG, 0); munmap(q+2*PG, PG);
  R(madvise(q, 3*PG, MADV_DONTNEED));
  R(madvise(q+PG, 2*PG, MADV_WILLNEED));
  char* sa = mmap(w + 152*PG, PG, PROT_READ, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, -1, 0); ms(sa, PG, 0);
  R(madvise(sa, PG, MADV_DONTNEED));
  FILE* tf = tmpfile(); if (ftruncate(fileno(tf), PG)) return 1;
  char* pf = mmap(w + 156*PG, PG, PROT_READ, MAP_PRIVATE|MAP_FIXED, fileno(tf), 0); ms(pf, PG, 0);
  R(madvise(pf, PG, MADV_DONTNEED));
  char* n = at(160, 1, PROT_NONE); ms(n, PG, 0);
  R(madvise(n, PG, MADV_DONTNEED));
  char* lk = mmap(w + 164*PG, PG, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_LOCKED, -1, 0); ms(lk, PG, 0);
  R(madvise(lk, PG, MADV_DONTNEED));
  R(madvise(lk, PG, MADV_COLD));

  printf("== brk (page offsets from the heap's first whole page after sbrk(0))\n");
  char* h0 = sbrk(0); char* hs = (char*)(((unsigned long)h0 + PG - 1) & ~(PG - 1));
  if (brk(hs + 3*PG)) return 1;
  R(ms(hs, PG, 0));
  printf("  brk(hs) = hs + %ld pages\n", ((char*)syscall(SYS_brk, hs) - hs) / PG);
  printf("  brk(hs + 1) = hs + %ld pages\n", ((char*)syscall(SYS_brk, hs + PG) - hs) / PG);
  printf("  brk(hs + 4) = hs + %ld pages\n", ((char*)syscall(SYS_brk, hs + 4*PG) - hs) / PG);
  layout("heap", hs, 4);
  printf("  brk(hs + 1) = hs + %ld pages\n", ((char*)syscall(SYS_brk, hs + PG) - hs) / PG);

  printf("== fork\n");
  pid_t pid = fork();
  if (pid == 0) { R(munmap(h, PG)); layout("the child's h", h, 2); _exit(0); }
  waitpid(pid, 0, 0);

  printf("== [vdso] (moved whole into the window first, each case in a child of its own)\n");
  char* vdso = 0;
  { FILE* mf = fopen("/proc/self/maps", "r"); char l[512];
    while (fgets(l, sizeof l, mf)) if (strstr(l, "[vdso]")) vdso = (char*)strtoul(l, 0, 16); fclose(mf); }
  char* v = w + 210*PG; /* 2 pages */
#define VDSO_CHILD(body) do { if (!fork()) { if (syscall(SYS_mremap, vdso, 2*PG, 2*PG, MREMAP_MAYMOVE|MREMAP_FIXED, v) == -1) _exit(1); \
    body; _exit(0); } wait(0); } while (0)
  VDSO_CHILD({ char* t = at(220, 1, RW); ms(t, PG, 0);
               MR(v+PG, PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, t); layout("v", v, 2); layout("t", t, 1); });
  VDSO_CHILD({ char* t = at(220, 1, RW);
               MR(v+PG, PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, t); layout("t", t, 1); });
  VDSO_CHILD({ char* t = at(220, 1, RW);
               MR(v, PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, t); layout("t", t, 1); });
  VDSO_CHILD({ char* x = at(207, 2, RW); at(209, 1, PROT_READ); ms(x+2*PG, PG, 0); char* t = at(220, 1, RW);
               MR(x, 4*PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, t); layout("x", x, 5); layout("t", t, 1); });
  VDSO_CHILD({ at(212, 1, RW); char* t = at(220, 1, RW);
               MR(v+PG, 2*PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, t); layout("v", v, 3); layout("t", t, 1); });
  VDSO_CHILD({ char* x = mmap(w + 206*PG, 4*PG, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0); char* t = at(220, 2, PROT_READ);
               MR(x+2*PG, 3*PG, PG, MREMAP_MAYMOVE|MREMAP_FIXED, t); layout("x", x, 6); layout("t", t, 2);
               MR(x+2*PG, 3*PG, PG, 0, 0); layout("x", x, 6); });
  VDSO_CHILD({ char* x = at(207, 3, RW); R(munmap(x+PG, 3*PG)); layout("x", x, 5);
               M(mmap(x+PG, 3*PG, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0)); layout("x", x, 5); });
  VDSO_CHILD({ char* a5 = at(205, 1, RW); a5[0] = 4; char* b8 = at(208, 1, PROT_READ); ms(b8, PG, 0);
               MR(a5, 6*PG, 6*PG, MREMAP_MAYMOVE|MREMAP_FIXED, w+230*PG); layout("a", a5, 7); layout("its target", w+230*PG, 7); });
  VDSO_CHILD({ char* a5 = at(205, 1, RW); a5[0] = 4;
               MR(a5, 6*PG, 6*PG, MREMAP_MAYMOVE|MREMAP_FIXED, w+230*PG); layout("a", a5, 7); layout("its target", w+230*PG, 7); });
  VDSO_CHILD({ char* t = at(230, 1, RW); ms(t, PG, 0); at(212, 2, RW);
               MR(v+PG, 3*PG, 3*PG, MREMAP_MAYMOVE|MREMAP_FIXED, t); layout("v", v, 4); });
  VDSO_CHILD({ R(ms(v, PG, 0)); R(ms(v, 2*PG, 0)); R(madvise(v, PG, MADV_DONTNEED)); R(madvise(v, PG, MADV_DONTFORK)); });

  printf("== the map-count limit\n");
  int max = 65530;
  FILE* mc = fopen("/proc/sys/vm/max_map_count", "r"); if (fscanf(mc, "%d", &max) != 1) return 1; fclose(mc);
  char* big = mmap(0, 2L * max * PG, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); /* room for max areas */
  char* one = at(200, 1, PROT_READ); char* three = at(201, 3, RW);
  int count = 0; { FILE* mf = fopen("/proc/self/maps", "r"); int ch; while ((ch = fgetc(mf)) != EOF) count += ch == '\n'; fclose(mf); }
  count--; /* [vsyscall] is not an area */
  for (long i = 1; count < max; i += 2, count++) if (mprotect(big + i*PG, PG, PROT_READ)) break;
  R(ms(three + PG, PG, 0));
  R(ms(three, PG, 0));
  R(ms(one, 2*PG, 0));
  layout("one, three", one, 4);
  _exit(0); /* exit() at the limit may fault in a new area and crash: not of interest */
}
