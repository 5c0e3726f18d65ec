// What a symbol's component (a card, the chart view) does with its room's 'prices' and 'status' messages.
export function roomListeners(vm) {
  return {
    onPrices: (updates) => {
      for (const update of updates) if (update.s === vm.symbol) vm.showPrice(update);
    },
    onStatus: (update) => {
      if (update.s !== vm.symbol) return;
      vm.status = update.status;
      vm.message = update.message;
      vm.currency = update.currency;
      vm.instrument = update.name;
      vm.decimals = update.decimals;
    },
  };
}
