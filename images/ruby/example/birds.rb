birds = %w[wren tit robin].sort
puts "#{birds.size} birds: #{birds.join(', ')}"
