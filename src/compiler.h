/*
 * compiler: attributes that let the compiler check what a header promises.
 *   KN_NODISCARD   the result must be checked (a dropped store write result
 *                  is a warning, an error under --enable-werror)
 *   KN_NONNULL(...) the listed pointer arguments (1-based) must not be NULL
 *   KN_PRINTF(f,a) printf-style format at argument f, varargs from a
 */
#ifndef KNOCKER_COMPILER_H
#define KNOCKER_COMPILER_H

#if defined(__GNUC__) || defined(__clang__)
#define KN_NODISCARD	__attribute__((warn_unused_result))
#define KN_NONNULL(...)	__attribute__((nonnull(__VA_ARGS__)))
#define KN_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define KN_NODISCARD
#define KN_NONNULL(...)
#define KN_PRINTF(f, a)
#endif

#endif
