#include <ruby.h>

static VALUE hello_answer(VALUE self) { return INT2NUM(42); }

void Init_hello(void) {
    VALUE mod = rb_define_module("Hello");
    rb_define_module_function(mod, "answer", hello_answer, 0);
}
