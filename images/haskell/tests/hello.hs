import System.Posix.User (getRealUserID)

main :: IO ()
main = do
  uid <- getRealUserID
  putStrLn ("hello from haskell as uid " ++ show uid)
