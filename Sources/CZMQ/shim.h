#ifndef FEDMQ_CZMQ_SHIM_H
#define FEDMQ_CZMQ_SHIM_H
#include <zmq.h>
#endif
