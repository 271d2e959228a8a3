#ifndef FEDMQ_CZLIB_SHIM_H
#define FEDMQ_CZLIB_SHIM_H
#include <zlib.h>
#endif
