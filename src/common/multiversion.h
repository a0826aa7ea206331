#pragma once
// BERTFT_HOT_LOOP marks a function whose loops the compiler vectorises and that matters to speed. In
// the portable build (cmake -DBERTFT_NATIVE=OFF: -march=x86-64-v3, AVX2) GCC compiles such a function
// twice, for AVX2 and for AVX-512 (x86-64-v4), and the dynamic loader picks the version the CPU runs
// best when the program starts (an ifunc). The native build (-march=native) has one version already
// made for its CPU, so the mark does nothing there. docs/library.md lists the functions and their speed.
#if defined(BERTFT_MULTIVERSION) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BERTFT_HOT_LOOP __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define BERTFT_HOT_LOOP
#endif
