import Data.List (intercalate, sort)

main :: IO ()
main = do
  let birds = sort ["wren", "tit", "robin"]
  putStrLn (show (length birds) ++ " birds: " ++ intercalate ", " birds)
