//! A bank: accounts behind mutexes, and a count of the transfers made. The sample that
//! `interleave ci` is tested on; its types are interleave's, so that its checks explore them.

use interleave::sync::atomic::{AtomicU64, Ordering};
use interleave::sync::Mutex;

/// Accounts and a transfer count.
#[derive(Debug)]
pub struct Bank {
    accounts: Vec<Mutex<u64>>,
    transfers: AtomicU64,
}

impl Bank {
    /// A bank with these balances.
    pub fn new(balances: &[u64]) -> Self {
        Bank {
            accounts: balances.iter().map(|&b| Mutex::new(b)).collect(),
            transfers: AtomicU64::new(0),
        }
    }

    /// Adds `amount` to `account`.
    pub fn deposit(&self, account: usize, amount: u64) {
        *self.accounts[account].lock().unwrap() += amount;
    }

    /// Moves `amount` from `from` to `to`, taking the two locks in the order of the accounts.
    pub fn transfer(&self, from: usize, to: usize, amount: u64) {
        {
            let mut first = self.accounts[from.min(to)].lock().unwrap();
            let mut second = self.accounts[from.max(to)].lock().unwrap();
            let (source, target) = if from < to {
                (&mut *first, &mut *second)
            } else {
                (&mut *second, &mut *first)
            };
            *source -= amount;
            *target += amount;
        }
        let done = self.transfers.load(Ordering::SeqCst);
        self.transfers.store(done + 1, Ordering::SeqCst);
    }

    /// How many transfers were made.
    pub fn transfers(&self) -> u64 {
        self.transfers.load(Ordering::SeqCst)
    }

    /// The sum of the balances.
    pub fn total(&self) -> u64 {
        self.accounts.iter().map(|a| *a.lock().unwrap()).sum()
    }
}

#[cfg(test)]
mod tests {
    use interleave::sync::Arc;
    use interleave::thread;

    use super::Bank;

    #[test]
    fn the_total_is_read_while_money_moves() {
        interleave::check(|| {
            let bank = Arc::new(Bank::new(&[100, 100]));
            let b = Arc::clone(&bank);
            let t = thread::spawn(move || b.transfer(0, 1, 10));
            let total = bank.total();
            t.join().unwrap();
            assert!(total == 200 || total == 190 || total == 210);
        });
    }

    #[test]
    fn transfers_and_deposits() {
        interleave::check(|| {
            let bank = Arc::new(Bank::new(&[100, 100]));
            let b = Arc::clone(&bank);
            let t = thread::spawn(move || {
                b.transfer(0, 1, 10);
                b.deposit(0, 5);
            });
            bank.transfer(1, 0, 20);
            bank.deposit(0, 5);
            t.join().unwrap();
            assert!(bank.transfers() == 2, "a transfer was not counted");
            assert!(bank.total() == 210, "money was lost");
        });
    }
}
