/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wal_crc.c - CRC-32C (Castagnoli) of WAL fragment payloads, the same
 * value as ps_crc32c() but about three times faster on x86-64 with SSE4.2.
 *
 * Why: every byte of a WAL goes through this checksum (fragments are up to
 * 32761 bytes). The SSE4.2 crc32 instruction has a latency of 3 cycles but
 * a throughput of one per cycle, so a single dependent chain of crc32q
 * (what ps_crc32c does) runs at a third of the possible speed. Here the
 * input is cut into rounds of three BLOCK-byte blocks that are checksummed
 * as three independent chains, then joined:
 *
 *   crc(A|B|C) = shift2(crc_A) ^ shift1(crc_B) ^ crc_C
 *
 * where crc_A starts from the running register and crc_B, crc_C from 0,
 * and shiftK(x) is the register x after K*BLOCK zero bytes - a linear map
 * over GF(2), so it is evaluated with four 256-entry tables per K (one per
 * byte of x), built once from the crc32 instruction itself. The tail that
 * does not fill a round is done in one chain, as before.
 *
 * Where the CPU has AVX-512 and VPCLMULQDQ (carry-less multiplication of
 * 512-bit registers), fragments are folded instead, twice as fast again
 * (68 against 32 GB/s on a 32761-byte fragment in cache; 3 % of a read
 * of the snappy bench WAL was this checksum). CRC-32C is the remainder
 * modulo P = x^32 + ... (0x1EDC6F41), so any block may be replaced by a
 * shorter one congruent to it, moved to the same end: a 16-byte lane
 * H*x^64 + L (H its first 8 bytes) standing d bytes before the end is
 * worth H*x^(8d+64) + L*x^(8d), and with 32-bit constants
 * Kh = x^(8d+64) mod P, Kl = x^(8d) mod P, H*Kh + L*Kl (two carry-less
 * products, under 96 bits) is a lane congruent to it. Sixteen lanes (four
 * registers) run over the input 256 bytes at a time, each folded over
 * the next 256 bytes and XORed with them; at the end they are folded
 * onto the last lane, and the crc32 instruction reduces that lane (a
 * register of 0 through 16 bytes congruent to everything before) and
 * reads the tail. The initial register is XORed into the first 4 bytes,
 * which is what starting the register there means. The bytes are
 * bit-reflected (bit 0 of byte 0 is the highest power), so a product of
 * two reflected values comes out shifted by one place, and the constants
 * are taken as x^(n-33) mod P for x^n, reflected (see fold_init).
 */
#include "wal_int.h"

#include "promsight/ps_crc32c.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <nmmintrin.h>
#include <pthread.h>
#include <string.h>

#define BLOCK 512u /* bytes per chain and round; a multiple of 8 */

static uint32_t shift1[4][256], shift2[4][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* The raw register (no pre/post inversion) after n zero bytes. */
__attribute__((target("sse4.2"))) static uint32_t
zeros(uint32_t reg, size_t n)
{
    uint64_t c = reg;
    for (size_t i = 0; i < n; i += 8)
        c = _mm_crc32_u64(c, 0);
    return (uint32_t)c;
}

static void
build_tables(void)
{
    for (unsigned b = 0; b < 4; b++)
        for (uint32_t v = 0; v < 256; v++) {
            shift1[b][v] = zeros(v << (8 * b), BLOCK);
            shift2[b][v] = zeros(v << (8 * b), 2 * BLOCK);
        }
}

static inline uint32_t
shift(const uint32_t t[4][256], uint32_t x)
{
    return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^
           t[3][x >> 24];
}

static inline uint64_t
load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* The register r carried over the last n bytes at p, 8 then 1 at a time,
 * and inverted: the end of both ways of computing. */
__attribute__((target("sse4.2"))) static inline uint32_t
crc_tail(uint64_t r, const uint8_t *p, size_t n)
{
    for (; n >= 8; p += 8, n -= 8)
        r = _mm_crc32_u64(r, load64(p));
    uint32_t r32 = (uint32_t)r;
    while (n-- > 0)
        r32 = _mm_crc32_u8(r32, *p++);
    return ~r32;
}

__attribute__((target("sse4.2"))) static uint32_t
crc3(const uint8_t *p, size_t n)
{
    uint64_t a = 0xffffffffu; /* crc 0, inverted */
    while (n >= 3 * BLOCK) {
        uint64_t b = 0, c = 0;
        for (size_t i = 0; i < BLOCK; i += 8) {
            a = _mm_crc32_u64(a, load64(p + i));
            b = _mm_crc32_u64(b, load64(p + BLOCK + i));
            c = _mm_crc32_u64(c, load64(p + 2 * BLOCK + i));
        }
        a = shift(shift2, (uint32_t)a) ^ shift(shift1, (uint32_t)b) ^ (uint32_t)c;
        p += 3 * BLOCK;
        n -= 3 * BLOCK;
    }
    return crc_tail(a, p, n);
}

/* ---- folding (AVX-512 + VPCLMULQDQ) ---- */

#define FOLD_STRIDE 256u /* bytes per step: 4 registers of 4 lanes */

/* [lane's distance in lanes from the end][0: for its first 8 bytes,
 * 1: for its last 8]; [0] the 256-byte step's */
static uint64_t fold_k[16][2];
static int fold_ok;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

/* x^n mod P, bit-reflected into 32 bits (bit j is the coefficient of
 * x^(31-j)), for n >= 0. */
static uint32_t
xpow_mod(unsigned n)
{
    uint32_t r = 1; /* bit i: the coefficient of x^i */
    for (unsigned i = 0; i < n; i++)
        r = (r << 1) ^ ((r & 0x80000000u) ? 0x1EDC6F41u : 0);
    uint32_t o = 0;
    for (unsigned j = 0; j < 32; j++)
        o |= ((r >> (31 - j)) & 1u) << j;
    return o;
}

static void
fold_init(void)
{
    __builtin_cpu_init();
    fold_ok = __builtin_cpu_supports("avx512f") &&
              __builtin_cpu_supports("vpclmulqdq") &&
              __builtin_cpu_supports("pclmul");
    /* lanes d*16 bytes before the end; d = 0 is the step (256 bytes) */
    for (unsigned d = 0; d < 16; d++) {
        unsigned bytes = d == 0 ? FOLD_STRIDE : 16 * d;
        fold_k[d][0] = xpow_mod(8 * bytes + 64 - 33);
        fold_k[d][1] = xpow_mod(8 * bytes - 33);
    }
}

__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2"))) static uint32_t
crc_fold(const uint8_t *p, size_t n)
{
    /* n >= FOLD_STRIDE: the first 256 bytes, the register (~0) in front */
    __m512i x0 = _mm512_loadu_si512(p), x1 = _mm512_loadu_si512(p + 64);
    __m512i x2 = _mm512_loadu_si512(p + 128), x3 = _mm512_loadu_si512(p + 192);
    x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi32_si128(-1)));
    p += FOLD_STRIDE;
    n -= FOLD_STRIDE;
    const __m512i k = _mm512_set4_epi64((long long)fold_k[0][1], (long long)fold_k[0][0],
                                        (long long)fold_k[0][1], (long long)fold_k[0][0]);
    /* x = H*Kh ^ L*Kl ^ the next 256 bytes' part (0x96: a ^ b ^ c) */
#define FOLD_STEP(x, off)                                                       \
    x = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),         \
                                  _mm512_clmulepi64_epi128(x, k, 0x11),         \
                                  _mm512_loadu_si512(p + (off)), 0x96)
    while (n >= FOLD_STRIDE) {
        FOLD_STEP(x0, 0);
        FOLD_STEP(x1, 64);
        FOLD_STEP(x2, 128);
        FOLD_STEP(x3, 192);
        p += FOLD_STRIDE;
        n -= FOLD_STRIDE;
    }
#undef FOLD_STEP
    /* the 16 lanes onto the last one */
    uint64_t lane[32];
    _mm512_storeu_si512(lane, x0);
    _mm512_storeu_si512(lane + 8, x1);
    _mm512_storeu_si512(lane + 16, x2);
    _mm512_storeu_si512(lane + 24, x3);
    __m128i acc = _mm_loadu_si128((const __m128i *)(const void *)(lane + 30));
    for (unsigned t = 0; t < 15; t++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(lane + 2 * t));
        __m128i kd = _mm_set_epi64x((long long)fold_k[15 - t][1],
                                    (long long)fold_k[15 - t][0]);
        acc = _mm_xor_si128(acc, _mm_xor_si128(_mm_clmulepi64_si128(v, kd, 0x00),
                                               _mm_clmulepi64_si128(v, kd, 0x11)));
    }
    uint64_t r = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(acc));
    r = _mm_crc32_u64(r, (uint64_t)_mm_extract_epi64(acc, 1));
    return crc_tail(r, p, n);
}

int
wal_crc32c_can(int way)
{
    if (!ps_crc32c_hw())
        return 0;
    pthread_once(&fold_once, fold_init);
    return way == WAL_CRC_CHAINS || (way == WAL_CRC_FOLD && fold_ok);
}

uint32_t
wal_crc32c_by(int way, const void *p, size_t n)
{
    if (n < 3 * BLOCK || !wal_crc32c_can(way))
        return ps_crc32c(p, n);
    if (way == WAL_CRC_FOLD)
        return crc_fold(p, n);
    pthread_once(&tables_once, build_tables);
    return crc3(p, n);
}

uint32_t
wal_crc32c(const void *p, size_t n)
{
    return wal_crc32c_by(wal_crc32c_can(WAL_CRC_FOLD) ? WAL_CRC_FOLD : WAL_CRC_CHAINS,
                         p, n);
}
#else
uint32_t
wal_crc32c(const void *p, size_t n)
{
    return ps_crc32c(p, n);
}

int
wal_crc32c_can(int way)
{
    (void)way;
    return 0;
}

uint32_t
wal_crc32c_by(int way, const void *p, size_t n)
{
    (void)way;
    return ps_crc32c(p, n);
}
#endif
