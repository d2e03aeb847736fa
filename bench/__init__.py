"""The mochic benchmark runner: kernels x mochic tiers x peers.

``python3 -m bench`` runs every kernel in ``bench/kernels/`` on every mochic
tier and every peer language that this machine has, at one size per kernel
shared by all of them, and writes ``results.json``, ``RESULTS.md`` and
``chart.png`` (see ``docs/PERFORMANCE.md``).  The modules, in the order a
run uses them:

  kernels      discovery, sizes.json, resizing a source, choosing the size
  participant  what a tier or a peer is: how to build it and how to run it
  tiers        the mochic tiers (interp, jit, c; native and wasm when they exist)
  peers        the other languages: C (gcc -O2), Python, Go, LuaJIT
  measure      one timed run (wall time, peak RSS from wait4) and statistics
  compiletime  compile-side figures: time to compile to IR, IR per second
  machine      what the results were measured on
  runner       the loop over kernels: size, build, warm up, run, compare
  report       results.json and RESULTS.md
  chart        chart.png
"""
