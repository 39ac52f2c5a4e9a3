puts "hello from ruby as uid #{Process.uid}"
