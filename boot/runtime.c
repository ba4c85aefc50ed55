/*
 * The few C runtime symbols that Embedded Swift code links against, written
 * freestanding (-ffreestanding -fno-builtin, so that these loops are not
 * turned back into calls to themselves).
 *
 * The heap serves the console and start-up code (strings, small tables). It
 * is never used on the interrupt path. Blocks come in power-of-two size
 * classes with a free list per class; the lock masks interrupts on this CPU
 * while held, so that an allocation can never deadlock against an interrupt
 * handler on the same CPU.
 */
#include <stddef.h>
#include <stdint.h>

void *memset(void *dest, int value, size_t count)
{
    unsigned char *d = dest;
    while (count--)
        *d++ = (unsigned char)value;
    return dest;
}

void *memcpy(void *restrict dest, const void *restrict src, size_t count)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    while (count--)
        *d++ = *s++;
    return dest;
}

void *memmove(void *dest, const void *src, size_t count)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    if (d < s) {
        while (count--)
            *d++ = *s++;
    } else {
        while (count--)
            d[count] = s[count];
    }
    return dest;
}

int memcmp(const void *lhs, const void *rhs, size_t count)
{
    const unsigned char *a = lhs, *b = rhs;
    for (size_t i = 0; i < count; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* ---- heap ---------------------------------------------------------------- */

extern char __heap_start[], __heap_end[];

enum { minimum_class = 4, maximum_class = 23, header_size = 16 };

struct block_header {
    uint64_t size_class;    /* log2 of the block size, header included */
    uint64_t reserved;
};

struct free_block {
    struct free_block *next;
};

static struct free_block *free_lists[maximum_class + 1];
static char *heap_next;
static volatile uint32_t heap_lock_word;

static uint64_t heap_lock(void)
{
    uint64_t daif;
    __asm__ volatile("mrs %0, daif\n msr daifset, #3" : "=r"(daif) :: "memory");
    while (__atomic_exchange_n(&heap_lock_word, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&heap_lock_word, __ATOMIC_RELAXED))
            ;
    return daif;
}

static void heap_unlock(uint64_t daif)
{
    __atomic_store_n(&heap_lock_word, 0, __ATOMIC_RELEASE);
    __asm__ volatile("msr daif, %0" :: "r"(daif) : "memory");
}

int posix_memalign(void **result, size_t alignment, size_t size)
{
    /* Blocks are naturally aligned to 16; larger alignments get a block large
     * enough to align within (rare: nothing in the image asks for it). */
    size_t needed = size + header_size + (alignment > 16 ? alignment : 0);
    unsigned size_class = minimum_class;
    while (((size_t)1 << size_class) < needed) {
        if (++size_class > maximum_class)
            return 12; /* ENOMEM */
    }

    uint64_t daif = heap_lock();
    char *block;
    if (free_lists[size_class]) {
        block = (char *)free_lists[size_class];
        free_lists[size_class] = free_lists[size_class]->next;
    } else {
        if (!heap_next)
            heap_next = __heap_start;
        size_t block_size = (size_t)1 << size_class;
        if ((size_t)(__heap_end - heap_next) < block_size) {
            heap_unlock(daif);
            return 12; /* ENOMEM */
        }
        block = heap_next;
        heap_next += block_size;
    }
    heap_unlock(daif);

    char *payload = block + header_size;
    if (alignment > 16)
        payload = (char *)(((uintptr_t)payload + alignment - 1) & ~(uintptr_t)(alignment - 1));
    struct block_header *header = (struct block_header *)(payload - header_size);
    header->size_class = size_class;
    header->reserved = (uint64_t)(uintptr_t)block;
    *result = payload;
    return 0;
}

void free(void *pointer)
{
    if (!pointer)
        return;
    struct block_header *header = (struct block_header *)((char *)pointer - header_size);
    struct free_block *block = (struct free_block *)(uintptr_t)header->reserved;
    unsigned size_class = (unsigned)header->size_class;
    uint64_t daif = heap_lock();
    block->next = free_lists[size_class];
    free_lists[size_class] = block;
    heap_unlock(daif);
}

void *malloc(size_t size)
{
    void *result = NULL;
    return posix_memalign(&result, 16, size) == 0 ? result : NULL;
}

/* Bytes in use: for the console's `mem` line and the benchmarks. */
size_t heap_bytes_reserved(void)
{
    return heap_next ? (size_t)(heap_next - __heap_start) : 0;
}

/* Swift's hashing asks for a seed; a fixed one keeps runs repeatable. */
void arc4random_buf(void *buffer, size_t count)
{
    static uint64_t state = 0x9E3779B97F4A7C15ull;
    unsigned char *out = buffer;
    for (size_t i = 0; i < count; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out[i] = (unsigned char)state;
    }
}

/* `print` in Swift ends here. */
extern void kernel_console_putchar(uint8_t byte);

int putchar(int c)
{
    kernel_console_putchar((uint8_t)c);
    return c;
}
