// A C++ extension: the standard library (libstdc++) and an exception (libgcc_s's unwinder).
#include <ruby.h>

#include <numeric>
#include <stdexcept>
#include <vector>

static VALUE hellocxx_answer(VALUE self) {
    std::vector<int> eggs{6, 9, 5, 22};
    try {
        throw std::runtime_error("caught");
    } catch (const std::exception &) {
        return INT2NUM(std::accumulate(eggs.begin(), eggs.end(), 0));
    }
}

extern "C" void Init_hellocxx(void) {
    VALUE mod = rb_define_module("HelloCxx");
    rb_define_module_function(mod, "answer", hellocxx_answer, 0);
}
