import threading, mmap
b = bytearray()
for i in range(200): b += b'x' * 100000
del b
m = mmap.mmap(-1, 1 << 20); m.resize(4 << 20); m.close()
ts = [threading.Thread(target=lambda: [bytearray(300000) for _ in range(5)]) for _ in range(3)]
[t.start() for t in ts]; [t.join() for t in ts]
