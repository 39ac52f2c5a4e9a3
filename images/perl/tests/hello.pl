print "hello from perl as uid $<\n";
