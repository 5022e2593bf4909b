/*
 * Vigil public API: export macro and shared definitions.
 * Everything in include/vigil/ is installed; nothing else is.
 */
#ifndef VIGIL_COMMON_H
#define VIGIL_COMMON_H

#if defined(_WIN32)
#define VIGIL_API __declspec(dllexport)
#elif defined(__GNUC__)
#define VIGIL_API __attribute__((visibility("default")))
#else
#define VIGIL_API
#endif

#if defined(__GNUC__)
#define VIGIL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define VIGIL_PRINTF(fmt, args)
#endif

#endif /* VIGIL_COMMON_H */
